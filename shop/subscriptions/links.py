"""Signed links in subscription emails (itsdangerous, keyed by SECRET_KEY): they name the
subscription and what to do, and lapse after LINK_MAX_AGE."""
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

CARD = "card"  # update the card at Stripe's billing portal
DELAY = "delay"  # the next renewal a week later
SKIP = "skip"  # skip the next renewal: one interval later
CANCEL = "cancel"  # no more renewals
PAUSE = "pause"  # renewals stop until resumed (Stripe voids their invoices)
RESUME = "resume"
QUANTITY = "quantity"  # how many bottles each renewal ships
ACTIONS = (CARD, DELAY, SKIP, CANCEL, PAUSE, RESUME, QUANTITY)
LINK_MAX_AGE = timedelta(days=30)


class LinkError(Exception):
    """The link was altered, is for something else, or lapsed; the message is safe to show."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="shop.subscriptions.links")


def make_token(subscription_id: int, action: str, renewal_on: str | None = None) -> str:
    """`renewal_on` (ISO date): the renewal a delay or skip acts on, so the same link used twice
    moves it once."""
    return _serializer().dumps({"s": subscription_id, "a": action, "d": renewal_on})


def link(subscription_id: int, action: str, renewal_on: str | None = None) -> str:
    # Built by hand, not url_for: webhooks may run outside a request context.
    token = make_token(subscription_id, action, renewal_on)
    return f"{current_app.config['PUBLIC_URL']}/subscriptions/{action}/{token}"


def read(token: str, action: str) -> tuple[int, str | None]:
    """(subscription id, renewal date the link was made for); LinkError when not valid."""
    try:
        data = _serializer().loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    except BadSignature as exc:  # SignatureExpired is one too
        raise LinkError("This link is not valid or has expired. Reply to our email and we will help.") from exc
    if not isinstance(data, dict) or data.get("a") != action or not isinstance(data.get("s"), int):
        raise LinkError("This link is not valid for this page.")
    return data["s"], data.get("d") if isinstance(data.get("d"), str) else None


def read_token(token: str, action: str) -> int:
    return read(token, action)[0]
