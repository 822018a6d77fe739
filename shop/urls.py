"""The shop's one guard against open redirects: where a `next`, a `back` or a Referer may send someone.

Every redirect to an address that came from outside (a query string, a form field, a header)
goes through `local_path`, so what counts as "a page of this shop" is decided once.
"""
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def local_path(target: str | None, *, origin: str | None = None) -> str | None:
    """The path (with its query and fragment) that `target` leads to on this shop, else None.

    A bare path such as "/admin/claims?status=open" qualifies. So does an absolute address, but
    only when `origin` is given (e.g. the request's own `host_url`) and the address has the same
    scheme, host and port, and no user name: a Referer is absolute. Refused: other sites, a
    scheme without a host ("javascript:"), "//host" and "/\\host" (which browsers read as another
    host), relative paths, and control characters (browsers drop tabs and newlines, which turns
    "/\\t/host" into "//host").
    """
    if not target or any(ord(char) < 32 or ord(char) == 127 for char in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if origin is None or not _same_origin(parts, urlsplit(origin)) or parts.username is not None:
            return None
        target = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
        parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _same_origin(parts, origin) -> bool:
    try:
        return (parts.scheme.lower(), parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme.lower())) == \
            (origin.scheme.lower(), origin.hostname, origin.port or DEFAULT_PORTS.get(origin.scheme.lower()))
    except ValueError:  # a port that is not a number
        return False
