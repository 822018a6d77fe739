"""HTTP security headers: CSP without inline script, no framing, nosniff; HTTPS in production.

The headers are the same on every answer, so they are formatted once, when the app is built,
and added to each response as a ready list (a view may have a set of its own, built the same
way: `with_security_headers`). In production, plain HTTP is redirected to HTTPS, HSTS is sent
for a year and the session cookie is `Secure`; a developer's http://127.0.0.1 keeps working.

Behind a proxy that terminates TLS, the request counts as secure when the proxy says so in
`X-Forwarded-Proto: https` (the deployment's proxy sets it and strips clients' own).
"""
from collections.abc import Callable, Mapping

from flask import Flask, Response, current_app, redirect, request

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "form-action": ["'self'", "*"],  # the checkout form leaves for Stripe's hosted page
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")

Policy = Mapping[str, str | list[str]]


def header_set(content_security_policy: Policy = CONTENT_SECURITY_POLICY,
               frame_options: str = "DENY") -> tuple[tuple[str, str], ...]:
    """The headers every answer carries, as (name, value) pairs."""
    policy = "; ".join(
        f"{directive} {value if isinstance(value, str) else ' '.join(value)}".rstrip()
        for directive, value in content_security_policy.items()
    )
    return (
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", frame_options),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "browsing-topics=()"),  # no interest-based ad topics
    )


def with_security_headers(**options) -> Callable:
    """A view's own headers in place of the app's, e.g. a looser policy for a sandboxed frame."""
    headers = header_set(**options)

    def decorate(view):
        view.security_headers = headers
        return view

    return decorate


def init_security(app: Flask) -> None:
    production = app.config.get("SHOP_ENV") == "production"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
    default_headers = header_set()
    view_headers: dict[str | None, tuple[tuple[str, str], ...]] = {}

    def headers_for(endpoint: str | None):
        # Looked up once per endpoint: views are all registered before the first request.
        headers = view_headers.get(endpoint)
        if headers is None:
            view = current_app.view_functions.get(endpoint)
            headers = view_headers[endpoint] = getattr(view, "security_headers", default_headers)
        return headers

    def add_headers(response: Response) -> Response:
        # Added, not set: no view writes these itself (a view declares its own set instead).
        headers = response.headers
        headers.extend(headers_for(request.endpoint))
        if production and _is_secure():
            headers[HSTS[0]] = HSTS[1]
        return response

    app.after_request(add_headers)
    if production and not app.debug:
        app.before_request(_redirect_to_https)


def _is_secure() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"


def _redirect_to_https():
    if not _is_secure() and request.url.startswith("http://"):
        return redirect("https://" + request.url.removeprefix("http://"), code=302)
    return None
