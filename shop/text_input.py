"""Text in request bodies: a lone UTF-16 surrogate is refused where JSON is parsed.

JSON may write `"\\ud800"`, which decodes to a code point that no encoder (UTF-8, the
database drivers, SMTP) can write, so it would fail much later as a 500. Both JSON parsers of
the app (Flask's `request.get_json`, webargs' for the API schemas) refuse such a body with a
400 instead, as they refuse any other malformed JSON. (Form fields, paths and query strings
never hold one: Werkzeug decodes them, replacing bytes that are not UTF-8.)
"""
import re

from flask.json.provider import DefaultJSONProvider

_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
MESSAGE = "The body holds text that is not valid Unicode (a lone surrogate)"


def has_lone_surrogate(value) -> bool:
    """Whether any string in a parsed JSON value (keys included) holds a lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def may_hold_surrogate(raw: str | bytes) -> bool:
    """A cheap test of the raw JSON: a surrogate only comes from a `\\uD800`-`\\uDFFF` escape."""
    pattern = _ESCAPE_BYTES if isinstance(raw, bytes) else _ESCAPE
    return pattern.search(raw) is not None


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a body with a lone surrogate like any malformed body (400)."""

    def loads(self, s, **kwargs):
        data = super().loads(s, **kwargs)
        if may_hold_surrogate(s) and has_lone_surrogate(data):
            raise ValueError(MESSAGE)
        return data
