"""HTTP security headers (flask-talisman): CSP without inline script, no framing, nosniff.

flask-talisman works out a view's options four times per request and re-formats the policy
every time; here nothing of that depends on the request (no CSP nonce is used), so `Talisman`
below remembers both, per endpoint and per policy. The headers are flask-talisman's own.
"""
from flask import Flask, request
from flask_talisman import Talisman as _Talisman


class Talisman(_Talisman):
    """flask-talisman, with the per-view options and formatted policies kept after first use."""

    def init_app(self, app: Flask, **options) -> None:
        if options.get("content_security_policy_nonce_in"):
            raise ValueError("a CSP nonce changes the policy per request: it cannot be remembered")
        self._options_by_endpoint: dict = {}
        self._policies: dict = {}
        super().init_app(app, **options)

    def _make_nonce(self):
        return None  # no nonce is configured (init_app refuses one): nothing to make

    def _force_https(self):
        if not self._get_local_options()["force_https"]:
            return None  # nothing to redirect: skip working out whether the request is secure
        return super()._force_https()

    def _get_local_options(self):
        options = self._options_by_endpoint.get(request.endpoint)
        if options is None:
            options = self._options_by_endpoint[request.endpoint] = super()._get_local_options()
        return options

    def _parse_policy(self, policy):
        key = id(policy)  # the app's policy or a view's: objects that live as long as the app
        entry = self._policies.get(key)
        if entry is None or entry[0] is not policy:
            entry = self._policies[key] = (policy, super()._parse_policy(policy))
        return entry[1]


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


def init_security(app: Flask) -> None:
    production = app.config.get("SHOP_ENV") == "production"
    Talisman(
        app,
        force_https=production,
        strict_transport_security=production,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
