"""Checkouts nobody heard back about: ask Stripe, then settle the order as a webhook would have.

Stripe's `checkout.session.expired` and `completed` events normally settle every order. This
sweep is the safety net for the rest: an endpoint that was down past Stripe's retries, a process
that died between reserving stock and creating the session. It holds no lock while Stripe
answers, then applies what Stripe said under the order's row lock, through the same handlers
the webhook uses, so a webhook arriving meanwhile and the sweep agree.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from shop.db import utcnow
from shop.extensions import db
from shop.orders.checkout import cancel_unpaid_order
from shop.orders.models import PENDING_PAYMENT, Order
from shop.orders.services import lock_order
from shop.payments import stripe_gateway, webhooks

log = logging.getLogger(__name__)

# Sessions expire after 35 minutes and Stripe reports it within a minute or so: an order still
# waiting an hour after it was placed was missed.
STALE_AFTER = timedelta(hours=1)
BATCH = 200


def stale_checkout_ids(limit: int = BATCH) -> list[int]:
    cutoff = utcnow() - STALE_AFTER
    return list(db.session.scalars(
        select(Order.id).where(Order.status == PENDING_PAYMENT, Order.created_at < cutoff)
        .order_by(Order.id).limit(limit)
    ))


def reconcile_checkout(order_id: int) -> str:
    """Settle one waiting order from its session at Stripe; commits. Returns what happened."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != PENDING_PAYMENT:
        return "already settled"
    session_id = order.stripe_checkout_session_id
    db.session.rollback()  # no transaction (nor lock) stays open while Stripe answers
    session = None
    if session_id:
        try:
            session = stripe_gateway.retrieve_checkout_session(session_id)
            if session.get("status") == "open":
                session = stripe_gateway.expire_checkout_session(session_id)
        except stripe_gateway.PaymentProviderError as exc:
            log.warning("Reconciling order %s: Stripe said %s; trying again next sweep", order_id, exc.detail)
            return "stripe unavailable"
    with current_app.test_request_context():  # the confirmation email builds links with url_for
        order = lock_order(order_id)
        if order is None or order.status != PENDING_PAYMENT:
            outcome = "already settled"
        elif session is None:
            cancel_unpaid_order(order, actor="system", message="Checkout never reached Stripe")
            outcome = "cancelled"
        elif session.get("status") == "complete":
            outcome = webhooks.session_completed(order, session)
        elif session.get("status") == "expired":
            outcome = webhooks.session_expired(order, session)
        else:
            outcome = f"waiting ({session.get('status')})"
        db.session.commit()
    return outcome


def sweep_stale_checkouts(progress=lambda message: None) -> dict[str, int]:
    """Reconcile every stale waiting order; returns how many ended which way."""
    tally: dict[str, int] = {}
    ids = stale_checkout_ids()
    for index, order_id in enumerate(ids, start=1):
        outcome = reconcile_checkout(order_id)
        tally[outcome] = tally.get(outcome, 0) + 1
        progress(f"[{index}/{len(ids)}] order {order_id}: {outcome}")
    db.session.remove()
    return tally
