"""GET /media/<key>: a stored file, kept by browsers and CDNs for a year (its name is its content).

Where MEDIA_PUBLIC_URL is set, pages link to that address instead (a CDN or the bucket itself);
this route still answers, so links made before the change keep working.
"""
import logging

from flask import Blueprint, abort, current_app, request, url_for

from shop.media.images import CONTENT_TYPES, content_type
from shop.media.storage import IMMUTABLE, check_key, storage

log = logging.getLogger(__name__)
bp = Blueprint("media", __name__)


@bp.get("/media/<path:key>")
def media_file(key):
    try:
        check_key(key)
    except ValueError:
        abort(404)
    if key.rpartition(".")[2] not in CONTENT_TYPES:
        abort(404)
    try:
        data = storage().read(key)
    except Exception as exc:  # the bucket unreachable: a retryable answer, not a 500
        log.warning("Reading %s from the media store failed: %s", key, exc)
        return current_app.response_class("The picture store is unavailable; try again shortly.", status=503,
                                          mimetype="text/plain", headers={"Retry-After": "5"})
    if data is None:
        abort(404)
    response = current_app.response_class(data, mimetype=content_type(key))
    response.headers["Cache-Control"] = IMMUTABLE
    response.add_etag()
    return response.make_conditional(request)


def media_url(key: str, absolute: bool = False) -> str:
    """Where a browser fetches `key`; `absolute` for what leaves the page (API, JSON-LD, sitemaps)."""
    base = current_app.config.get("MEDIA_PUBLIC_URL")
    if base:
        return f"{base}/{key}"
    path = url_for("media.media_file", key=key)
    return current_app.config["PUBLIC_URL"] + path if absolute else path


bp.add_app_template_global(media_url)
