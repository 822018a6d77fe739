"""Helpers shared by every /api/v1 blueprint."""
import threading

from flask import request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from shop.extensions import csrf
from shop.text_input import MESSAGE as LONE_SURROGATE, has_lone_surrogate, may_hold_surrogate

MEMO_ENTRIES = 1024  # distinct query strings remembered per parser; hostile variety just re-parses


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, remembering the arguments of repeated query strings.

    Parsing a query string with a schema is a pure function of the two, and a storefront sees
    the same few queries again and again (`?page=2`, `?q=magnesium`). A query schema that says
    `memoize_query = True` (plain validation, nothing read from the clock or the database) is
    parsed once per distinct query string; the view gets a fresh copy each time. A query that
    fails validation is not remembered: it fails again, with the same 422, the next time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[int, bytes], dict] = {}
        self._lock = threading.Lock()

    def load_json(self, req, schema):
        """The JSON body; one holding a lone surrogate is malformed (400), see shop.text_input."""
        data = super().load_json(req, schema)
        if may_hold_surrogate(req.get_data(cache=True)) and has_lone_surrogate(data):
            refusal = BadRequest(LONE_SURROGATE)
            refusal.data = {"messages": {"json": {"_schema": [LONE_SURROGATE]}}}
            raise refusal
        return data

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        if location != "query" or not getattr(argmap, "memoize_query", False):
            return super().parse(argmap, req, location=location, **kwargs)
        key = (id(argmap), (req or request).query_string)
        parsed = self._memo.get(key)
        if parsed is None:
            parsed = super().parse(argmap, req, location=location, **kwargs)
            with self._lock:
                if len(self._memo) >= MEMO_ENTRIES:
                    self._memo.clear()
                self._memo[key] = parsed
        return dict(parsed)


_parser = ArgumentsParser()


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """An /api/v1 blueprint: JSON in, JSON out, authenticated by token, so no CSRF cookie."""
    blp = Blueprint(name, import_name, url_prefix="/api/v1" + url_prefix, description=description)
    blp.ARGUMENTS_PARSER = _parser
    csrf.exempt(blp)
    return blp
