"""Stripe's webhook events: recorded once by event id, applied under the order's row lock.

`process_event` flushes; the request's unit of work commits. An event is recorded (INSERT ...
ON CONFLICT DO NOTHING on the unique event id) before anything acts, so a duplicate delivery —
even one racing the first on another worker — is acknowledged and does nothing. Should a handler fail, the whole
transaction, the event row included, rolls back and Stripe's retry gets a clean second chance.

A completed session pays its order only when Stripe charged the order's currency and subtotal
(`amount_check`); otherwise the order stays unpaid and is flagged for staff. An event whose
shape is not what its type promises (`event_shapes`) is logged and changes nothing.

Out-of-order deliveries end in the right state:
- `checkout.session.completed` after `expired`: the order was cancelled and its stock released.
  Payment cannot resurrect it (the state machine allows no cancelled → paid, and the stock may
  be sold). The order is flagged for staff (`needs_attention`) with the payment recorded;
  a person refunds or fulfils it. Nothing is issued automatically.
- a charge or refund event before the order knows its payment intent: recorded as "unknown
  order", and applied when the order is paid (`replay_parked_events`).
- a refund reported while the order still waits for payment: its row is kept and counted once
  the order is paid.
"""
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import DateTime, Integer, String, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from shop.catalog.models import Product
from shop.db import dialect_of, insert_or_skip, utcnow
from shop.extensions import db
from shop.observability import record_webhook
from shop.orders.checkout import cancel_unpaid_order
from shop.orders.models import CANCELLED, PENDING_PAYMENT, Order, OrderItem
from shop.payments import services, stripe_gateway
from shop.payments import checkout_details
from shop.payments.amount_check import charge_mismatch, charged_amounts
from shop.payments.event_shapes import shape_problems
from shop.payments.models import REFUND_SUCCEEDED, UNKNOWN_ORDER, Refund, StripeEvent
from shop.subscriptions import services as subscriptions

PAID = "paid"
DUPLICATE = "duplicate"
MALFORMED = "malformed"
# Event types whose object may reach us before the order knows its payment intent.
PARKABLE_PREFIXES = ("charge.", "refund.")
PARKED_FOR = timedelta(days=3)
EVENTS = StripeEvent.__table__
# A Checkout Session that settled the order: paid, or nothing to pay (a 100% discount).
SETTLED = ("paid", "no_payment_required")

log = logging.getLogger(__name__)


def process_event(event: dict) -> str:
    """Record and apply one verified event; returns what happened (also stored on the row).

    An event whose shape is not what its type promises is only logged (see event_shapes).
    """
    problems = shape_problems(event)
    if problems:
        event_type = event.get("type") if isinstance(event.get("type"), str) else None
        log.warning("Stripe event %r (%s) is malformed and was ignored: %s",
                    str(event.get("id"))[:255], event_type, problems)
        record_webhook(event_type, MALFORMED)
        return MALFORMED
    event_row_id = _record(event)
    if event_row_id is None:
        record_webhook(event.get("type"), DUPLICATE)
        return DUPLICATE
    obj = (event.get("data") or {}).get("object") or {}
    handler = HANDLERS.get(event.get("type", ""))
    order = None
    if handler is None:
        outcome = "ignored"
    else:
        order = find_locked_order(obj)
        outcome = handler(order, obj) if order is not None else UNKNOWN_ORDER
    refunds_reported, events_parked = _finish(event_row_id, outcome, order.id if order is not None else None)
    if outcome == PAID:  # what Stripe told us before the payment counts now
        if refunds_reported:
            services.settle_refunds(order)
        if events_parked:
            replay_parked_events(order)
    record_webhook(event.get("type"), outcome)
    return outcome


# --- handlers: (locked order, event object) -> outcome --------------------------------------

def session_completed(order: Order, session: dict) -> str:
    _store_session_payment(order, session)
    if session.get("payment_status") not in SETTLED:
        return "awaiting payment"  # a delayed method (bank debit): async_payment_* follows
    outcome = _paid(order, session, "Payment confirmed by Stripe")
    if session.get("mode") == "subscription":
        subscriptions.session_completed(order, session)
    return outcome


def subscription_changed(order: Order, subscription: dict) -> str:
    return subscriptions.subscription_event(order, subscription)


def invoice_paid(order: Order, invoice: dict) -> str:
    return subscriptions.invoice_paid(order, invoice)


def invoice_payment_failed(order: Order, invoice: dict) -> str:
    return subscriptions.invoice_payment_failed(order, invoice)


def async_payment_succeeded(order: Order, session: dict) -> str:
    _store_session_payment(order, session)
    return _paid(order, session, "Delayed payment confirmed by Stripe")


def async_payment_failed(order: Order, session: dict) -> str:
    if cancel_unpaid_order(order, actor="stripe", message="The payment failed"):
        return "cancelled"
    return f"ignored ({order.status})"


def session_expired(order: Order, session: dict) -> str:
    if order.stripe_checkout_session_id and order.stripe_checkout_session_id != session.get("id"):
        return "ignored (another session)"
    if cancel_unpaid_order(order, actor="stripe", message="Checkout expired without payment"):
        return "cancelled"
    return f"ignored ({order.status})"


def charge_succeeded(order: Order, charge: dict) -> str:
    services.store_payment_details(order, charge_id=charge.get("id"), **_card(charge))
    return "payment details"


def charge_refunded(order: Order, charge: dict) -> str:
    services.store_payment_details(order, charge_id=charge.get("id"), **_card(charge))
    # Since API version 2022-11-15 the charge no longer lists its refunds. When it refunds more
    # than the refund.* events told us (an endpoint not enabled for them, or this event first),
    # Stripe is asked for the charge's refunds; recording one twice changes nothing.
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None and _refunded_beyond_recorded(order, charge):
        listed = stripe_gateway.list_charge_refunds(charge["id"])
    for refund in listed or []:
        services.record_refund(order, refund)
    return "refund noted"


def _refunded_beyond_recorded(order: Order, charge: dict) -> bool:
    refunded = charge.get("amount_refunded")
    if not isinstance(refunded, int) or refunded <= 0 or not charge.get("id"):
        return False
    recorded = db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.order_id == order.id, Refund.status == REFUND_SUCCEEDED))
    return refunded > recorded


def refund_changed(order: Order, refund: dict) -> str:
    row = services.record_refund(order, refund)
    return f"refund {row.status}"


def dispute_created(order: Order, dispute: dict) -> str:
    services.flag_for_staff(
        order,
        f"Dispute {dispute.get('id')} opened ({dispute.get('reason')}) for "
        f"{dispute.get('amount')} {dispute.get('currency')}; respond in the Stripe dashboard",
        kind="dispute",
        data={"dispute_id": dispute.get("id"), "amount": dispute.get("amount"), "reason": dispute.get("reason")},
    )
    return "flagged"


HANDLERS: dict[str, Callable[[Order, dict], str]] = {
    "checkout.session.completed": session_completed,
    "checkout.session.async_payment_succeeded": async_payment_succeeded,
    "checkout.session.async_payment_failed": async_payment_failed,
    "checkout.session.expired": session_expired,
    "charge.succeeded": charge_succeeded,
    "charge.refunded": charge_refunded,
    "refund.created": refund_changed,
    "refund.updated": refund_changed,
    "refund.failed": refund_changed,
    "charge.refund.updated": refund_changed,
    "charge.dispute.created": dispute_created,
    # Subscribe & save (shop.subscriptions): found by the first order's id in their metadata.
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
}


# --- finding the order ------------------------------------------------------------------------

# The statements every delivery runs are built once, with bound parameters: SQLAlchemy then
# skips building each statement and its cache key per delivery, about half of its own cost.
# An id the event does not carry is bound as NULL, which equals nothing.
_LOCKED_ORDER = (select(Order).order_by(Order.id).limit(1).with_for_update(of=Order)
                 .execution_options(populate_existing=True))
# A session is recognised by its id, or (the process may have died before it stored the session
# id) by our own reference, but only for an order that has no session yet.
_ORDER_OF_SESSION = _LOCKED_ORDER.where(or_(
    Order.stripe_checkout_session_id == bindparam("session_id", type_=String),
    and_(Order.id == bindparam("order_id", type_=Integer), Order.stripe_checkout_session_id.is_(None)),
))


@cache
def _order_of_session():
    # Built on first use: a loader option configures the mappers, which needs every model imported.
    # What paying reads comes in the same query as the locked order (PostgreSQL locks it in a
    # subquery): its items (the subtotal, the confirmation) and their products' stock (the
    # low-stock alert, `catalog.alerts.order_paid`); the products are read, not locked.
    return _ORDER_OF_SESSION.options(
        joinedload(Order.items).joinedload(OrderItem.product).load_only(Product.name, Product.slug, Product.stock))


# A charge, refund or dispute: by the ids Stripe gave us, or the order id we put in metadata.
_ORDER_OF_PAYMENT = _LOCKED_ORDER.where(or_(
    Order.stripe_payment_intent_id == bindparam("payment_intent", type_=String),
    Order.stripe_charge_id == bindparam("charge", type_=String),
    Order.id == bindparam("order_id", type_=Integer),
))


def find_locked_order(obj: dict) -> Order | None:
    """The order an event object is about, under its row lock (found and locked in one query)."""
    if obj.get("object") == "checkout.session":
        metadata = obj.get("metadata") or {}
        return db.session.scalars(_order_of_session(), {
            "session_id": str(obj.get("id")),
            "order_id": _int(metadata.get("order_id")) or _int(obj.get("client_reference_id")),
        }).unique().one_or_none()
    if obj.get("object") in ("subscription", "invoice"):
        return _order_of_subscription(obj)
    ids = {
        "payment_intent": _id(obj.get("payment_intent")),
        "charge": obj.get("id") if obj.get("object") == "charge" else _id(obj.get("charge")),
        "order_id": _int((obj.get("metadata") or {}).get("order_id")),
    }
    if not any(ids.values()):
        return None
    return db.session.scalar(_ORDER_OF_PAYMENT, ids)


def _order_of_subscription(obj: dict) -> Order | None:
    """A subscription or invoice: the order that started the subscription, by the order id in
    the subscription's metadata (an invoice carries it under `parent.subscription_details`), or
    by the subscription's id."""
    if obj.get("object") == "invoice":
        parent = obj.get("parent") if isinstance(obj.get("parent"), dict) else {}
        details = parent.get("subscription_details") if isinstance(parent.get("subscription_details"), dict) else {}
        metadata, stripe_id = details.get("metadata"), _id(details.get("subscription"))
    else:
        metadata, stripe_id = obj.get("metadata"), obj.get("id")
    order_id = _int((metadata if isinstance(metadata, dict) else {}).get("order_id"))
    if order_id is None and isinstance(stripe_id, str):
        order_id = subscriptions.first_order_id(stripe_id)
    if order_id is None:
        return None
    return db.session.scalar(_ORDER_OF_PAYMENT, {"payment_intent": None, "charge": None, "order_id": order_id})


# --- parked events ----------------------------------------------------------------------------

def replay_parked_events(order: Order) -> int:
    """Apply charge/refund events that arrived before this order knew its payment intent."""
    if not order.stripe_payment_intent_id:
        return 0
    parked = db.session.scalars(
        select(StripeEvent).where(_parked(utcnow() - PARKED_FOR)).order_by(StripeEvent.id)).all()
    replayed = 0
    for row in parked:
        if not row.type.startswith(PARKABLE_PREFIXES) or row.type not in HANDLERS:
            continue
        obj = ((row.payload or {}).get("data") or {}).get("object") or {}
        if _id(obj.get("payment_intent")) != order.stripe_payment_intent_id:
            continue
        row.outcome = HANDLERS[row.type](order, obj) + " (replayed)"
        row.order_id = order.id
        replayed += 1
    return replayed


def _parked(since):
    return and_(StripeEvent.order_id.is_(None), StripeEvent.outcome == UNKNOWN_ORDER,
                StripeEvent.received_at >= since)


# --- helpers ----------------------------------------------------------------------------------

def _paid(order: Order, session: dict, message: str) -> str:
    if order.status == CANCELLED and order.paid_at is None:  # (staff cancel paid orders: paid_at stays)
        if charge_mismatch(order, session) is None:  # where to ship, and what was charged
            checkout_details.store(order, session, charged_amounts(session))
        services.flag_for_staff(
            order,
            "Stripe took payment after this order was cancelled (its checkout had expired); "
            "refund the customer or fulfil the order by hand",
            kind="payment_after_cancel",
            data={"session_id": session.get("id"), "amount_total": session.get("amount_total")},
        )
        return "paid after cancellation"
    if order.status != PENDING_PAYMENT:
        return f"already {order.status}"
    mismatch = charge_mismatch(order, session)
    if mismatch is not None:
        if mismatch.reason not in (order.needs_attention or ""):  # the daily reconciliation asks again
            services.flag_for_staff(order, mismatch.reason, kind="amount_mismatch", data=mismatch.figures)
        return "amount mismatch"
    _store_checkout_details(order, session)
    services.mark_paid(order, message=message, session=session)
    return PAID  # refunds and parked events reported before are settled once the event is finished


def _store_checkout_details(order: Order, session: dict) -> None:
    charged = charged_amounts(session)
    checkout_details.store(order, session, charged)
    if not charged.adds_up:  # Stripe's own figures: recorded as charged, but a person should look
        services.flag_for_staff(
            order,
            f"Stripe's figures for session {session.get('id')} do not add up (subtotal {charged.subtotal} "
            f"- discount {charged.discount} + shipping {charged.shipping} + tax {charged.tax} != "
            f"total {charged.total}); the order is paid with Stripe's total: check it in the Stripe dashboard",
            kind="amounts_do_not_add_up",
            data={"session_id": session.get("id"), **asdict(charged)},
        )


def _store_session_payment(order: Order, session: dict) -> None:
    payment_intent = session.get("payment_intent")
    details: dict = {"payment_intent_id": _id(payment_intent)}
    if isinstance(payment_intent, dict):  # expanded
        charge = payment_intent.get("latest_charge")
        details["charge_id"] = _id(charge)
        if isinstance(charge, dict):
            details.update(_card(charge))
    services.store_payment_details(order, **details)
    if not order.stripe_checkout_session_id and session.get("id"):
        order.stripe_checkout_session_id = session["id"]


def _card(charge: dict) -> dict:
    card = ((charge.get("payment_method_details") or {}).get("card")) or {}
    return {"card_brand": card.get("brand"), "card_last4": card.get("last4")}


def _record(event: dict) -> int | None:
    """Insert the event row; None when its id was already recorded (a duplicate)."""
    created = event.get("created")
    values = {
        "event_id": str(event["id"]),
        "type": str(event.get("type") or "")[:100],
        "livemode": bool(event.get("livemode")),
        "stripe_created": datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None,
        "received_at": utcnow(),
        "payload": event,
    }
    return db.session.execute(_record_statement(dialect_of(db.session)), values).scalar()


@cache
def _record_statement(dialect: str):
    # On the table, not the entity: a plain Core statement, without the ORM's bulk-insert machinery.
    return insert_or_skip(dialect, EVENTS, "event_id").returning(EVENTS.c.id)


# Ends the event's row: SETs the columns its other parameters name (outcome, order_id,
# processed_at). In the same round trip it says whether refunds of the order, or events we could
# not place, were reported before now: both rare, and acted on only when the event paid the order.
_PARKED_EVENTS = EVENTS.alias("parked")
_FINISH = update(EVENTS).where(EVENTS.c.id == bindparam("row_id")).returning(
    exists().where(Refund.order_id == bindparam("paid_order_id", type_=Integer)),
    exists().where(_PARKED_EVENTS.c.order_id.is_(None), _PARKED_EVENTS.c.outcome == UNKNOWN_ORDER,
                   _PARKED_EVENTS.c.received_at >= bindparam("parked_since", type_=DateTime)),
)


def _finish(event_row_id: int, outcome: str, order_id: int | None) -> tuple[bool, bool]:
    """Store what the event did; whether (refunds reported, events parked) before it."""
    return tuple(db.session.execute(_FINISH, {
        "row_id": event_row_id, "outcome": outcome[:200], "order_id": order_id, "processed_at": utcnow(),
        "paid_order_id": order_id, "parked_since": utcnow() - PARKED_FOR}).one())


def _id(value) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _int(value) -> int | None:
    """An id we put in metadata; anything else (junk, out of the column's range) is no id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None
