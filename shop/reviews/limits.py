"""Posting limits, shared by the JSON API and the page forms: per client IP and per email.

The limits are settings (REVIEWS_RATE_LIMIT_IP, REVIEWS_RATE_LIMIT_EMAIL) read per request;
the counters live in flask-limiter's storage (Redis when configured, else the store's database,
shared by every web process: shop.limits_storage).
The IP limit counts every attempt; the email limit counts accepted posts only, so a form
sent back for a typo does not use up a customer's allowance.
"""
from flask import current_app, request
from flask_limiter.util import get_remote_address

from shop.extensions import limiter

# The page forms carry prefixed field names (review-email, question-email, reply-email).
EMAIL_FIELDS = ("email", "review-email", "question-email", "reply-email")
ACCEPTED = (201, 303)


def _ip_limit() -> str:
    return current_app.config.get("REVIEWS_RATE_LIMIT_IP") or "30/hour"


def _email_limit() -> str:
    return current_app.config.get("REVIEWS_RATE_LIMIT_EMAIL") or "5/hour"


def posted_email() -> str:
    """The email address a post is written under, lower-cased; "" when there is none."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, dict) and not hasattr(data, "get"):
        return ""
    for name in EMAIL_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()[:254]
    return ""


per_ip = limiter.shared_limit(_ip_limit, scope="reviews-post-ip", key_func=get_remote_address)
per_email = limiter.shared_limit(
    _email_limit,
    scope="reviews-post-email",
    key_func=posted_email,
    exempt_when=lambda: not posted_email(),
    deduct_when=lambda response: response.status_code in ACCEPTED,
)
