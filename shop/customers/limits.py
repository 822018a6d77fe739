"""How many sign-in links may be asked for: per client address and per email address.

ACCOUNT_LOGIN_RATE_LIMIT counts the requests of one client address (the page's form and JSON
together); ACCOUNT_LOGIN_RATE_LIMIT_EMAIL the links asked for one email address, whoever asks,
so no one can fill a stranger's inbox. Both count every attempt, and both answer 429 past the
limit whether or not the address is a customer's. The counters are Flask-Limiter's, shared by
every web process (`shop.limits_storage`).
"""
from flask import current_app, request
from flask_limiter.util import get_remote_address

from shop.extensions import limiter


def _ip_limit() -> str:
    return current_app.config.get("ACCOUNT_LOGIN_RATE_LIMIT") or "20/hour"


def _email_limit() -> str:
    return current_app.config.get("ACCOUNT_LOGIN_RATE_LIMIT_EMAIL") or "5/hour"


def posted_email() -> str:
    """The address a sign-in link is asked for, as the form or the JSON body gives it, lower-cased."""
    data = request.get_json(silent=True) if request.is_json else request.form
    value = data.get("email") if hasattr(data, "get") else None
    return value.strip().lower()[:254] if isinstance(value, str) else ""


per_ip = limiter.shared_limit(_ip_limit, scope="account-login-ip", key_func=get_remote_address)
per_email = limiter.shared_limit(_email_limit, scope="account-login-email", key_func=posted_email,
                                 exempt_when=lambda: not posted_email())
