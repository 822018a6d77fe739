"""Drift between the shop and Stripe, found by asking Stripe and settled as a webhook would.

Two sweeps. `sweep_stale_checkouts` (every ten minutes) looks at orders still waiting for
payment an hour after checkout; `reconcile_recent` (daily, and `flask stripe reconcile`) lists
the last days' Checkout Sessions and refunds at Stripe and applies whatever the shop never heard
of: a paid session whose webhook never came, a refund made in the dashboard, a refund that
failed late. Both apply Stripe's word through the webhook handlers, under the order's row lock.

The stale-checkout sweep, in more detail:

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
from shop.orders.models import CANCELLED, PENDING_PAYMENT, Order, OrderEvent
from shop.orders.services import lock_order
from shop.payments import services, stripe_gateway, webhooks
from shop.payments.models import Refund

log = logging.getLogger(__name__)

# Sessions expire after 35 minutes and Stripe reports it within a minute or so: an order still
# waiting an hour after it was placed was missed.
STALE_AFTER = timedelta(hours=1)
BATCH = 200


def stale_checkout_ids(limit: int = BATCH) -> list[int]:
    """Orders waiting too long; not those flagged for staff (a person settles them, e.g. a
    payment of another amount than the order's), which would otherwise be asked about forever."""
    cutoff = utcnow() - STALE_AFTER
    return list(db.session.scalars(
        select(Order.id).where(Order.status == PENDING_PAYMENT, Order.created_at < cutoff,
                               Order.needs_attention.is_(None))
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


# --- the daily reconciliation -------------------------------------------------------------------

IN_STEP = "in step"
RECENT_DAYS = 3  # Stripe retries a webhook for three days; a daily run with this window overlaps


def reconcile_with_stripe(days: int = RECENT_DAYS, progress=lambda message: None) -> dict[str, int]:
    """Both sweeps, stale checkouts first; returns how many ended which way."""
    tally = sweep_stale_checkouts(progress=progress)
    for outcome, count in reconcile_recent(days, progress=progress).items():
        tally[outcome] = tally.get(outcome, 0) + count
    return tally


def reconcile_recent(days: int = RECENT_DAYS, progress=lambda message: None) -> dict[str, int]:
    """Compare the last `days` of Checkout Sessions and refunds at Stripe with ours; fix drift."""
    since = utcnow() - timedelta(days=days)
    try:
        sessions = stripe_gateway.list_checkout_sessions(int(since.timestamp()))
        refunds = stripe_gateway.list_refunds(int(since.timestamp()))
    except stripe_gateway.PaymentProviderError as exc:
        log.warning("Reconciliation skipped: Stripe said %s", exc.detail)
        progress(f"Stripe unavailable ({exc.detail}); nothing reconciled.")
        return {"stripe unavailable": 1}
    progress(f"Comparing {len(sessions)} checkout session(s) and {len(refunds)} refund(s) "
             f"since {since:%Y-%m-%d %H:%M} UTC with Stripe.")
    tally: dict[str, int] = {}
    for kind, objects, reconcile in (("session", sessions, _reconcile_session),
                                     ("refund", refunds, _reconcile_refund)):
        for obj in objects:
            outcome = reconcile(obj)
            tally[outcome] = tally.get(outcome, 0) + 1
            if outcome != IN_STEP:
                progress(f"{kind} {obj.get('id')}: {outcome}")
    db.session.remove()
    return tally


def _reconcile_session(session: dict) -> str:
    if session.get("status") not in ("complete", "expired"):
        return IN_STEP
    with current_app.test_request_context():  # the confirmation email builds links with url_for
        order = webhooks.find_locked_order(session)
        outcome = _settle_session(order, session)
        db.session.commit()
    return outcome


def _settle_session(order: Order | None, session: dict) -> str:
    paid = session.get("status") == "complete" and session.get("payment_status") in webhooks.SETTLED
    if order is None:
        # Another integration on the same Stripe account, or an order since erased.
        return webhooks.UNKNOWN_ORDER if paid else IN_STEP
    if paid and order.status == PENDING_PAYMENT:
        return webhooks.session_completed(order, session)  # the webhook never came
    if paid and order.status == CANCELLED and order.paid_at is None and not _flagged_paid_after_cancel(order):
        return webhooks.session_completed(order, session)  # flags it for staff, once
    if session.get("status") == "expired" and order.status == PENDING_PAYMENT:
        return webhooks.session_expired(order, session)
    return IN_STEP


def _flagged_paid_after_cancel(order: Order) -> bool:
    return db.session.scalar(select(OrderEvent.id).where(
        OrderEvent.order_id == order.id, OrderEvent.kind == "payment_after_cancel").limit(1)) is not None


def _reconcile_refund(refund: dict) -> str:
    row = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == refund.get("id")))
    if row is not None and (row.status, row.amount) == (services.refund_status(refund), refund.get("amount")):
        db.session.rollback()
        return IN_STEP
    known_before = row.status if row is not None else None
    with current_app.test_request_context():  # the refund confirmation email builds links too
        order = webhooks.find_locked_order(refund)
        if order is None:
            outcome = webhooks.UNKNOWN_ORDER
        else:
            row = services.record_refund(order, refund)  # what the refund.* webhooks do
            if known_before is None:
                outcome = f"refund recorded ({row.status})"
            elif row.status != known_before:
                outcome = f"refund {known_before} -> {row.status}"
            else:
                outcome = IN_STEP
        db.session.commit()
    return outcome
