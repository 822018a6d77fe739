"""Errors the customer may read, and the one handler that shapes every API error.

Services raise `ShopError` subclasses with a message fit for the customer; anything else is a bug
and answers a bare 500 (logged with its trace, never shown).
"""
import logging
import traceback
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import BadRequest, HTTPException

from shop.db import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

ID_LIMIT = 2**31  # ids are INTEGER columns: 32 bits on PostgreSQL
# When a database that is away (DATABASE_UNAVAILABLE) is worth asking again.
RETRY_AFTER_SECONDS = 5


class ShopError(Exception):
    """A refusal the caller may read: the message is safe to show, the code is HTTP's."""

    code = 400
    message = "Bad request"

    def __init__(self, message: str | None = None, errors: dict | None = None, code: int | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors or {}
        if code is not None:
            self.code = code


class NotFound(ShopError):
    code = 404
    message = "Not found"


class Conflict(ShopError):
    code = 409
    message = "Conflict"


class Unprocessable(ShopError):
    code = 422
    message = "Validation failed"


class ProviderUnavailable(ShopError):
    """The payment provider failed; nothing was charged and nothing is held."""

    code = 502
    message = "The payment provider is unavailable; nothing was charged. Please try again."


def error_body(code: int, message: str | None = None, errors: dict | None = None) -> dict:
    status = HTTPStatus(code)
    return {
        "code": code,
        "status": status.phrase,
        "message": message or status.phrase,
        "errors": errors or {},
    }


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dicts into API.md's dotted field names."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema" and prefix == "":
                name = "_schema"
            for field, msgs in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def validation_errors(exc: HTTPException) -> dict:
    """webargs stores errors by location ({"json": {...}, "query": {...}}); drop the location."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    merged: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            merged.update(location_messages)
        else:
            merged.setdefault("_schema", []).extend(location_messages)
    return flatten_errors(merged)


def _text_with_nul(exc: Exception) -> bool:
    """A value with a NUL character that PostgreSQL refused (input no schema stripped)."""
    return isinstance(exc, DBAPIError) and "NUL" in str(exc.orig)


def _number_out_of_range(exc: Exception) -> bool:
    """A number the database column cannot hold (SQLSTATE 22003), from input no schema bounded."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == "22003"


def _json_nested_too_deep(exc: Exception) -> bool:
    if not isinstance(exc, RecursionError):
        return False
    files = {frame.f_code.co_filename for frame, _ in traceback.walk_tb(exc.__traceback__)}
    return any(name.endswith(("json/decoder.py", "json/__init__.py")) for name in files)


def _utf8_request(req: Request) -> bool:
    """Whether the raw path (WSGI's latin-1 string), the query and a urlencoded form body, once
    percent-decoded, are UTF-8. (Werkzeug would quietly replace what is not: `%ED%A0%80`, a
    surrogate, would reach a view as U+FFFD.)"""
    try:
        req.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        encoded = [req.query_string]
        if req.mimetype == "application/x-www-form-urlencoded":
            encoded.append(req.get_data(cache=True))  # the form is parsed from this cached copy
        for raw in encoded:
            if b"%" in raw or not raw.isascii():
                unquote_to_bytes(raw).decode("utf-8")
    except UnicodeError:
        return False
    return True


# Pages that also take a JSON body, and answer in the API's error shape whatever is posted to
# them but a browser's form (the page itself, GET, stays a page).
JSON_PAGES = ("/account/login",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def wants_json(req: Request) -> bool:
    return req.path.startswith("/api/") or (
        req.path in JSON_PAGES and req.method == "POST" and req.mimetype not in FORM_TYPES)


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def refuse_impossible_addresses():
        req = request._get_current_object()  # one proxy lookup for both checks
        # PostgreSQL text cannot hold NUL; a NUL in a URL is never meant, so it is refused
        # here, for every route, before it can reach a query and end as a 500.
        query = req.query_string
        if "\x00" in req.path or b"%00" in query or b"\x00" in query:
            raise BadRequest("The address contains a NUL character.")
        if not _utf8_request(req):
            raise BadRequest("The address or the form is not valid UTF-8.")
        # Every id is a 32-bit integer column; PostgreSQL refuses to compare one with a larger
        # number ("integer out of range"), and no such row can exist anyway.
        for value in (req.view_args or {}).values():
            if isinstance(value, int) and not -ID_LIMIT <= value < ID_LIMIT:
                raise NotFound()

    @app.errorhandler(ShopError)
    def handle_shop_error(exc: ShopError):
        if wants_json(request):
            return jsonify(error_body(exc.code, exc.message, exc.errors)), exc.code
        return render_template("error.html", code=exc.code, message=exc.message), exc.code

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = exc.code or 500
        if not wants_json(request):
            if code < 400:  # redirects raised as exceptions (RequestRedirect)
                return exc
            return render_template("error.html", code=code, message=exc.description), code
        errors = {}
        message = None
        if code == 422:
            errors = validation_errors(exc)
            message = "Validation failed"
        elif code == 400 and getattr(exc, "data", None):
            errors = validation_errors(exc)
            message = "Malformed request"
        elif code == 400:
            message = "Malformed request"
        elif code == 413:
            message = "Request body too large"
        response = jsonify(error_body(code, message, errors))
        response.status_code = code
        if code == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        if code == 429 and getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if _text_with_nul(exc):
            log.warning("Refused text with a NUL character on %s %s", request.method, request.path)
            return handle_http_error(BadRequest())
        if _number_out_of_range(exc):
            log.warning("Refused a number out of range on %s %s", request.method, request.path)
            return handle_shop_error(Unprocessable("A number is out of range"))
        if _json_nested_too_deep(exc):
            # `[[[[…` thousands deep exhausts the JSON parser before any schema sees it: the
            # client's fault, answered like any other malformed body.
            log.warning("Refused a JSON body nested too deeply on %s %s", request.method, request.path)
            return handle_http_error(BadRequest())
        if isinstance(exc, DATABASE_UNAVAILABLE):
            return _database_unavailable(exc)
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if wants_json(request):
            return jsonify(error_body(500, "Internal Server Error")), 500
        try:
            return render_template("error.html", code=500, message="Something went wrong on our side."), 500
        except Exception:  # noqa: BLE001 - the error page itself failed; answer plainly
            log.exception("The error page failed to render")
            return "Internal Server Error", 500, {"Content-Type": "text/plain; charset=utf-8"}


def _database_unavailable(exc: Exception):
    """503 in the error shape (or the error page): a pause on the database's side, not a bug."""
    log.error("Database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
    message = "Service temporarily unavailable"
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        return jsonify(error_body(503, message)), 503, headers
    try:
        return render_template("error.html", code=503, message=message), 503, headers
    except Exception:  # noqa: BLE001 - the page needs nothing from the database, but answer regardless
        return message, 503, {**headers, "Content-Type": "text/plain; charset=utf-8"}
