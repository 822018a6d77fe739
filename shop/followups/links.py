"""Signed links in follow-up emails: hold a dose, "I started today", unsubscribe.

The payload carries the follow-up id, the action and when the link was issued; the signature
(itsdangerous, keyed by SECRET_KEY) makes tampering visible, and the issue time lets a link
expire without storing anything.
"""
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from shop.db import utcnow

HOLD = "hold"
STARTED = "started"
UNSUBSCRIBE = "unsubscribe"


class LinkError(Exception):
    """The link was altered, belongs to another action, or has expired (the message says which)."""


def _serializer() -> URLSafeSerializer:
    # One per app: the dispatcher signs three links per email, thousands per pass.
    serializer = current_app.extensions.get("followup_links")
    if serializer is None:
        serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="shop.followups.links")
        current_app.extensions["followup_links"] = serializer
    return serializer


def max_age() -> timedelta:
    return timedelta(days=int(current_app.config.get("FOLLOWUP_LINK_MAX_AGE_DAYS", 120)))


def make_token(followup_id: int, action: str, *, issued_at: datetime | None = None) -> str:
    issued = issued_at or utcnow()
    return _serializer().dumps({"f": followup_id, "a": action, "t": int(issued.timestamp())})


def link(followup_id: int, action: str, *, issued_at: datetime | None = None) -> str:
    # Built by hand, not url_for: the dispatcher runs outside any request (beat, CLI).
    token = make_token(followup_id, action, issued_at=issued_at)
    return f"{current_app.config['PUBLIC_URL']}/followups/{action}/{token}"


def read_token(token: str, action: str, *, now: datetime | None = None) -> int:
    """The follow-up id the link is for; LinkError when tampered with, misused or expired."""
    try:
        payload = _serializer().loads(token)
    except BadSignature as exc:
        raise LinkError("This link is not valid: it may have been changed or cut short.") from exc
    if not isinstance(payload, dict) or payload.get("a") != action or not isinstance(payload.get("f"), int):
        raise LinkError("This link is not valid for this page.")
    issued = datetime.fromtimestamp(int(payload.get("t", 0)), tz=(now or utcnow()).tzinfo)
    if (now or utcnow()) - issued > max_age():
        raise LinkError("This link has expired. Reply to any of our emails and we will help by hand.")
    return payload["f"]
