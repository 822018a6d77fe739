"""What a confirmed payment or refund does to an order. Services flush; the webhook commits.

Every function here expects the order's row lock (`orders.services.lock_order`) to be held, so
two deliveries about the same order apply one after the other.
"""
from sqlalchemy import func, select

from shop.emails.services import queue_email
from shop.extensions import db
from shop.orders import states
from shop.orders.access import order_page_url
from shop.orders.models import (
    CANCELLED,
    DELIVERED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING_PAYMENT,
    REFUNDED,
    SHIPPED,
    Order,
)
from shop.payments import refund_states
from shop.payments.models import (
    REFUND_CANCELED,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    Refund,
)
from shop.payments.signals import order_paid, refund_updated, refunds_locking

# Statuses in which the money has been taken: refunds count against these orders.
PAID_STATUSES = frozenset({PAID, SHIPPED, DELIVERED, PARTIALLY_REFUNDED, REFUNDED})

# A refund only moves forward: an old `refund.created` (pending) arriving after the
# `refund.updated` (succeeded) must not undo it. Stripe may fail a refund after it succeeded.
_REFUND_RANK = {REFUND_PENDING: 0, REFUND_SUCCEEDED: 1, REFUND_FAILED: 2, REFUND_CANCELED: 2}


def money_taken(order: Order) -> bool:
    """Whether Stripe holds the customer's money for this order, so refunds count against it:
    a paid order, or one staff cancelled after payment (`staff_refunds.cancel_order`)."""
    return order.status in PAID_STATUSES or (order.status == CANCELLED and order.paid_at is not None)


def unsettled_refunds(order: Order) -> int:
    """Refunds asked of Stripe that it has not settled yet (they hold their amount meanwhile)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order.id, Refund.status == REFUND_PENDING, Refund.counted.is_(False)))


def refundable(order: Order) -> int:
    """What may still be refunded: what was paid, less what is refunded and what is on its way."""
    if not money_taken(order):
        return 0
    return max(0, order.total - order.refunded_total - unsettled_refunds(order))


def store_payment_details(order: Order, *, payment_intent_id: str | None = None, charge_id: str | None = None,
                          card_brand: str | None = None, card_last4: str | None = None) -> None:
    """Keep what Stripe told us about the payment; a missing value never erases a known one."""
    if payment_intent_id:
        order.stripe_payment_intent_id = payment_intent_id
    if charge_id:
        order.stripe_charge_id = charge_id
    if card_brand:
        order.card_brand = card_brand[:30]
    if card_last4:
        order.card_last4 = card_last4[-4:]


def mark_paid(order: Order, *, message: str = "Payment confirmed by Stripe", session: dict | None = None) -> bool:
    """Stripe confirmed the payment: paid, tell the other domains, email the customer once.

    Returns False (and changes nothing) when the order is no longer waiting for payment.
    Refunds reported before the payment are counted by `settle_refunds`, which the caller runs
    when there are any (the webhook asks once for them and for parked events together).
    """
    if order.status != PENDING_PAYMENT:
        return False
    states.transition(order, PAID, actor="stripe", message=message)
    order_paid.send(order, session=session)
    queue_order_confirmation(order)
    return True


def queue_order_confirmation(order: Order) -> None:
    queue_email(
        "order_confirmation",
        order.email,
        context={"order": order, "items": order.items, "order_url": order_page_url(order)},
        order_id=order.id,
        dedupe_key=f"order-confirmation:{order.id}",
    )


def flag_for_staff(order: Order, reason: str, *, kind: str = "attention", data: dict | None = None) -> None:
    """Something only a person can settle (a dispute, money taken for a cancelled order)."""
    if reason not in (order.needs_attention or ""):
        order.needs_attention = f"{order.needs_attention}\n{reason}" if order.needs_attention else reason
    states.record_event(order, actor="stripe", kind=kind, message=reason, data=data)


def record_refund(order: Order, refund_object: dict) -> Refund:
    """Create or update the Refund row for a Stripe refund object, then settle the order's totals.

    A refund started in the Stripe dashboard has no row yet (nor a claim); one that our own
    approval created is matched by its Stripe id, or by the idempotency key it carries in its
    metadata (`refund_key`, when the webhook beats the approval's own commit of the Stripe id).
    """
    lock_refunds(order)
    refund = _refund_row(order, refund_object)
    previous = refund.status if refund.id is not None else None
    status = refund_status(refund_object)
    failure_reason = refund_object.get("failure_reason") or refund.failure_reason
    if previous is None:
        refund.status = status
    elif _REFUND_RANK[status] > _REFUND_RANK[previous] and refund_states.can_transition(refund, status):
        refund_states.transition(refund, status)
    refund.amount = int(refund_object.get("amount") or refund.amount)
    refund.currency = (refund_object.get("currency") or refund.currency or order.currency).lower()
    refund.failure_reason = failure_reason
    refund.data = {key: refund_object.get(key) for key in ("charge", "payment_intent", "reason", "metadata")}
    db.session.add(refund)
    db.session.flush()
    if refund.status != previous:
        states.record_event(order, actor="stripe", kind="refund",
                            message=f"Refund {refund.stripe_refund_id}: {refund.status}",
                            data={"refund_id": refund.id, "amount": refund.amount, "status": refund.status})
    settle_refunds(order)
    if refund.status != previous:
        refund_updated.send(refund, previous_status=previous)
    return refund


def settle_refunds(order: Order) -> None:
    """Keep `refunded_total` the sum of the refunds that stand, and the status in step with it.

    Recomputed from the refunds each time, so a refund Stripe fails after it had succeeded
    stops counting, and the order goes back to where its fulfilment stands. Refunds are counted
    only once the order is paid (a refund may be reported first); `Refund.counted` marks those
    in the total. A refund that would take the total past what was paid is left out and flagged.
    """
    if not money_taken(order):
        return
    standing = 0
    for refund in lock_refunds(order):
        succeeded = refund.status == REFUND_SUCCEEDED
        if succeeded and standing + refund.amount > order.total:
            flag_for_staff(order, f"Refund {refund.stripe_refund_id} exceeds what is left to refund",
                           data={"refund_id": refund.id})
            succeeded = False
        elif not succeeded and refund.counted:
            flag_for_staff(order, f"Refund {refund.stripe_refund_id} {refund.status} after it had succeeded",
                           data={"refund_id": refund.id})
        refund.counted = succeeded
        standing += refund.amount if succeeded else 0
    order.refunded_total = standing
    _refund_status_of(order)


def lock_refunds(order: Order) -> list[Refund]:
    """The order's refunds under their row locks, in primary-key order (the caller holds the order's).

    Every path takes its locks in one order: the order, its claims, its refunds, each in
    primary-key order; `refunds_locking` lets the guarantee lock the claims first. Two
    transactions about one order then wait for each other instead of deadlocking.
    """
    refunds_locking.send(order)
    return list(db.session.scalars(
        select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
        .with_for_update().execution_options(populate_existing=True)))


def _refund_status_of(order: Order) -> None:
    """Partially refunded or refunded while refunds stand; else where fulfilment stands.

    A cancelled order stays cancelled: its refunds only show in `refunded_total`."""
    if order.status == CANCELLED:
        return
    if order.refunded_total >= order.total > 0:
        target = REFUNDED
    elif order.refunded_total > 0:
        target = PARTIALLY_REFUNDED
    elif order.status in (PARTIALLY_REFUNDED, REFUNDED):
        target = states.fulfilment_status(order)
    else:
        return
    if target == order.status:
        return
    message = f"Refunded {order.refunded_total} of {order.total} {order.currency}"
    if states.can_transition(order, target):
        states.transition(order, target, actor="stripe", message=message)
    else:  # a refund failed after it had succeeded: less is refunded than the status says
        states.transition(order, target, actor="stripe", message=f"A refund was reversed. {message}",
                          refund_reversed=True)


def _refund_row(order: Order, refund_object: dict) -> Refund:
    stripe_id = refund_object["id"]
    refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_id))
    if refund is not None:
        return refund
    # Our own request carries its idempotency key: the webhook may beat the approval's commit.
    key = (refund_object.get("metadata") or {}).get("refund_key")
    if key:
        refund = db.session.scalar(select(Refund).where(
            Refund.idempotency_key == key, Refund.order_id == order.id, Refund.stripe_refund_id.is_(None),
            Refund.status == REFUND_PENDING))
    if refund is None:
        refund = Refund(order_id=order.id, amount=int(refund_object.get("amount") or 0),
                        currency=(refund_object.get("currency") or order.currency).lower())
    refund.stripe_refund_id = stripe_id
    return refund


def refund_status(refund_object: dict) -> str:
    status = refund_object.get("status")
    if status in (REFUND_SUCCEEDED, REFUND_FAILED, REFUND_CANCELED):
        return status
    return REFUND_PENDING  # "pending", "requires_action"

