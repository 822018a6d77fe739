"""HTTP caching of the public catalogue: whole answers kept per catalogue version, with an ETag.

The catalogue's JSON is the same for every caller, and so are the home and catalogue pages
while no flash message waits in the visitor's session (they hold no form with a CSRF token;
the product page does, and is not one of them). A view decorated with `public_answer` (the API)
or `public_page` keeps its 200 answer in the catalogue cache (shop/catalog/cache.py), keyed by
the endpoint, the URL's arguments and the raw query string, and invalidated with the catalogue.
A repeated request is answered from there before its query is even parsed; a new one (or one
that fails, a 404 or a 422) goes through the view as usual and only a 200 is kept.

Every kept answer carries an ETag (a digest of its body) and `Cache-Control: public` with a
short max-age (CATALOGUE_MAX_AGE seconds, default 30), so browsers and shared caches may reuse
it briefly, then ask again with `If-None-Match` and get a bodiless 304 while it is unchanged.
"""
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request, session
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import ETags
from werkzeug.http import parse_etags, quote_etag

from shop.catalog.cache import cached



@dataclass(frozen=True)
class _Answer:
    body: bytes
    mimetype: str
    etag: str  # unquoted


class _NotShared(Exception):
    """The view answered something other than a 200: sent as it is, never kept."""

    def __init__(self, response):
        super().__init__()
        self.response = response


View = Callable[..., ResponseReturnValue]


def public_answer(view: View) -> View:
    """Decorate a catalogue API view (under its route, above its other decorators) whose answer
    is the same for everyone who asks the same URL."""

    @functools.wraps(view)
    def answer(*args, **kwargs):
        return _kept_answer(view, args, kwargs)

    return answer


def public_page(view: View) -> View:
    """Decorate a page view that is the same for every visitor but for flash messages."""

    @functools.wraps(view)
    def page(*args, **kwargs):
        if "_flashes" in session:  # this visitor's message renders (and is used up) now
            return view(*args, **kwargs)
        return _kept_answer(view, args, kwargs)

    return page


def _kept_answer(view: View, args: tuple, kwargs: dict):
    def load() -> _Answer:
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code != 200:
            raise _NotShared(response)
        body = response.get_data()
        return _Answer(body, response.mimetype, hashlib.blake2b(body, digest_size=12).hexdigest())

    key = ("answer", request.endpoint, request.query_string, *kwargs.items())
    try:
        kept = cached(key, load)
    except _NotShared as refused:
        return refused.response
    return _send(kept)


def _send(kept: _Answer):
    headers = {"ETag": quote_etag(kept.etag), "Cache-Control": cache_control()}
    if _unchanged_for_client(kept.etag):
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(kept.body, mimetype=kept.mimetype, headers=headers)


def cache_control() -> str:
    return f"public, max-age={current_app.config['CATALOGUE_MAX_AGE']}"


def _unchanged_for_client(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False  # the common case, without parsing anything
    tags: ETags = parse_etags(header)
    return tags.contains_weak(etag)
