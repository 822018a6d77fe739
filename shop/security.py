"""HTTP security: headers (flask-talisman), the HTTPS redirect, and which proxies are believed.

- Headers: CSP without inline script, no framing, nosniff, HSTS in production; flask-talisman's
  own, through its public interface: one `Talisman` per app, and `view_policy(...)` (Talisman's
  decorator) gives a view options of its own.
- The redirect to HTTPS (production, when PUBLIC_URL is https) goes to PUBLIC_URL's scheme, host
  and port with the request's path and query: never to the host a client names. Health checks
  and Stripe's webhook are answered where they arrive (a load balancer probes plain HTTP; Stripe
  posts to the https address it was given and would not follow a redirect of a POST).
- TRUSTED_PROXIES: that many reverse proxies stand in front; werkzeug's ProxyFix takes the client
  address and scheme from their X-Forwarded-For/-Proto. With 0, no forwarded header is believed.
"""
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, redirect, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

# Only decorates views: Talisman's decorator records a view's options on the view, where the
# app's own Talisman reads them.
view_policy = Talisman()

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
NEVER_REDIRECTED = frozenset({"health.healthz", "health.readyz", "metrics", "stripe_api.stripe_webhook"})
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def content_security_policy(app: Flask) -> dict:
    # The checkout form leaves for the hosted payment page: Stripe's, or the local stand-in's
    # (its pay page lives where STRIPE_API_BASE points) in development.
    form_action = ["'self'", STRIPE_CHECKOUT_ORIGIN]
    standin = app.config.get("STRIPE_API_BASE")
    if standin and not _production(app):
        parts = urlsplit(standin)
        form_action.append(f"{parts.scheme}://{parts.netloc}")
    images = ["'self'", "data:"]
    media = app.config.get("MEDIA_PUBLIC_URL")
    if media:  # product pictures served from a CDN or the bucket itself
        parts = urlsplit(media)
        images.append(f"{parts.scheme}://{parts.netloc}")
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": images,
        "form-action": form_action,
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }


def init_security(app: Flask) -> None:
    production = _production(app)
    Talisman(
        app,
        force_https=False,  # redirect_to_https below builds the address from PUBLIC_URL
        strict_transport_security=production,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        content_security_policy=content_security_policy(app),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    public = urlsplit(app.config["PUBLIC_URL"])
    if production and public.scheme == "https":
        app.extensions["https_origin"] = f"https://{public.netloc}"
        app.before_request_funcs.setdefault(None, []).insert(0, redirect_to_https)


def redirect_to_https():
    """Plain HTTP in production: the same path and query at PUBLIC_URL's https origin."""
    if request.scheme == "https" or request.endpoint in NEVER_REDIRECTED:
        return None
    target = current_app.extensions["https_origin"] + quote(request.path, safe=_SAFE_PATH)
    if request.query_string:
        target += "?" + quote(request.query_string, safe=_SAFE_PATH + "?")
    # 308 keeps a POST a POST; a GET is moved for good.
    return redirect(target, 301 if request.method in ("GET", "HEAD") else 308)


def _production(app: Flask) -> bool:
    return app.config.get("SHOP_ENV") == "production"
