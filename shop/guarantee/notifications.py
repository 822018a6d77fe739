"""The customer's emails about a claim. Each has a dedupe key, so it is queued once at most."""
from flask import current_app
from werkzeug.routing import BuildError

from shop.emails.services import queue_email
from shop.extensions import db
from shop.orders.models import Order


def _order_url(order: Order) -> str | None:
    from shop.orders.access import order_page_url

    try:
        return order_page_url(order)
    except (BuildError, RuntimeError):  # no order page in this app (or no request to build from)
        return None


def _context(order: Order, **extra) -> dict:
    return {"order": order, "order_url": _order_url(order), "currency": order.currency, **extra}


def claim_received(claim) -> None:
    order = claim.order
    queue_email("claim_received", order.email, order_id=order.id, dedupe_key=f"claim-{claim.id}-received",
                context=_context(order, claim=claim))


def claim_denied(claim) -> None:
    order = claim.order
    queue_email("claim_denied", order.email, order_id=order.id, dedupe_key=f"claim-{claim.id}-denied",
                context=_context(order, claim=claim))


def refund_confirmed(refund) -> None:
    """The refund Stripe confirmed: amount, the card it goes back to, how long it takes."""
    order = db.session.get(Order, refund.order_id)
    if order is None:
        return
    current_app.logger.info("Refund %s of order %s confirmed", refund.stripe_refund_id, order.id)
    queue_email("refund_confirmed", order.email, order_id=order.id, dedupe_key=f"refund-{refund.id}-confirmed",
                context=_context(order, refund=refund))


