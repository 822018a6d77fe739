"""Header values are checked when an email is queued, never first found broken when it is sent.

A line break in a header value would start a new header (header injection); Python's email
package refuses such a value at send time, so a row stored with one would fail on every try.
Refused here instead, the caller can answer 422 and nothing is logged.
"""
import re

from shop.errors import Unprocessable

# RFC 5322 field names: printable US-ASCII except the colon.
HEADER_NAME = re.compile(r"^[\x21-\x39\x3b-\x7e]+$")
# Tab is white space a header may contain; every other control or line/paragraph separator is not.
ALLOWED_CONTROLS = {"\t"}
REFUSED_CATEGORIES = {"Cc", "Zl", "Zp"}
# The same characters as one pattern (Unicode's Cc is U+0000-U+001F and U+007F-U+009F, Zl is
# U+2028, Zp U+2029): a dispatch pass checks thousands of headers, one regex search each rather
# than a category look-up per character.
REFUSED_CHARACTER = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


class EmailHeaderError(Unprocessable, ValueError):
    """A header name or value an email may not carry (CR, LF, NUL or another control character)."""

    def __init__(self, name: str, message: str):
        super().__init__(message, errors={name: [message]})
        self.header = name


def check_header_value(name: str, value: str) -> str:
    """`value`, if it may be the value of header `name`; EmailHeaderError (a 422) if not."""
    if not isinstance(value, str):
        raise EmailHeaderError(name, f"{name} must be text")
    if REFUSED_CHARACTER.search(value):
        raise EmailHeaderError(name, f"{name} may not contain line breaks or control characters")
    return value


def check_headers(to: str, subject: str, headers: dict | None) -> None:
    """Every header an email will carry: its recipient, its subject, and the extra headers."""
    check_header_value("To", to)
    check_header_value("Subject", subject)
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not HEADER_NAME.match(name):
            raise EmailHeaderError(str(name), f"{name!r} is not a header name")
        check_header_value(name, value)
