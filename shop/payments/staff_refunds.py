"""Refunds staff make outside any claim, and cancelling a paid order before it ships.

They take the path a claim approval takes (`guarantee.refunds`), in two steps, so no row lock
is held across Stripe's HTTP call:

1. The request: the order, its claims and its refunds are locked (the store's one lock order),
   the amount is checked against what is still refundable (`services.refundable`: paid, less
   refunded, less refunds Stripe has not settled yet), and a pending `Refund` is recorded with its
   idempotency key, who asked and why, and an entry on the order's timeline. `refund_order` and
   `cancel_order` COMMIT this step themselves: the refund is on record before it can exist at
   Stripe, and a second request meanwhile sees its amount as taken.
2. `submit_refund` sends it to Stripe with that key and records Stripe's answer through the
   function the webhook uses (`services.record_refund`, found by Stripe's id or by the key in the
   refund's metadata). Whichever comes first, the answer or the `refund.*`/`charge.refunded`
   webhook, settles the refund; the other finds it settled. The order's status follows the
   money (partially_refunded, refunded); a cancelled order stays cancelled.

A request may carry a key of its own (the API's `Idempotency-Key` header, the admin form's hidden
field): the same key again answers the order as it stands and refunds nothing more (a refund
Stripe never answered is sent again, with the same idempotency key, so Stripe makes it once).

When Stripe refuses, the refusal is recorded (and committed) and `RefundNotMade` is raised with
Stripe's message for staff. When Stripe does not answer at all (a timeout, a 5xx), the refund
may have been made: it stays pending, holding its amount, the order is flagged for staff
(`awaiting_stripe` tells), and the webhook, the daily reconciliation or the same request
repeated (same key) settles it.
"""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.routing import BuildError

from shop.db import as_utc, utcnow
from shop.emails.services import queue_email
from shop.errors import Conflict, NotFound, ShopError, Unprocessable
from shop.extensions import db
from shop.money import format_money
from shop.orders import stock
from shop.orders.models import CANCELLED, PENDING_PAYMENT, Order
from shop.orders.services import lock_order
from shop.orders.states import can_transition, record_event, transition
from shop.payments import refund_states, services, stripe_gateway
from shop.payments.models import REFUND_CANCELED, REFUND_FAILED, REFUND_PENDING, Refund

REASON_MAX = 2000
REQUIRED = "Required field missing"
REQUEST_KEY_MAX = 255
# A pending refund that never reached Stripe (the process died before asking) is sent again, with
# the same idempotency key, when its request is repeated after this long.
RESEND_AFTER = timedelta(minutes=2)


class RefundNotMade(ShopError):
    """Stripe refused the refund, or could not be asked; what happened is on the order's record."""

    code = 502


@dataclass
class _Request:
    order_id: int
    refund_id: int | None  # the refund this request must send to Stripe, if any


def refund_order(order_id: int, staff, *, reason: str | None, amount: int | None = None,
                 request_key: str | None = None) -> Order:
    """Refund `amount` (default: all still refundable) of a paid order, outside any claim.

    Commits the request (the pending refund and its audit entry) before Stripe is called, then
    records Stripe's answer (flushes). 422 above what is left or without a reason; 409 for an
    order that was never paid. Raises RefundNotMade (after committing the refusal) when Stripe
    refuses.
    """
    request = _request_refund(order_id, staff, reason=reason, amount=amount, request_key=request_key)
    db.session.commit()
    if request.refund_id is not None:
        submit_refund(request.refund_id)
    return db.session.get(Order, order_id)


def cancel_order(order_id: int, staff, *, reason: str | None, request_key: str | None = None) -> Order:
    """Cancel a paid order before it ships: refund all still refundable, return the stock,
    cancel its follow-ups, email the customer. 409 once shipped; cancelling again changes nothing.

    Commits the cancellation and its pending refund before Stripe is called, as `refund_order`.
    """
    request = _request_cancellation(order_id, staff, reason=reason, request_key=request_key)
    db.session.commit()
    if request.refund_id is not None:
        submit_refund(request.refund_id)
    return db.session.get(Order, order_id)


def awaiting_stripe(order: Order) -> bool:
    """Whether a refund staff asked for is still waiting for Stripe's answer, which never came."""
    return any((refund.data or {}).get("outcome_unknown") for refund in db.session.scalars(
        select(Refund).where(Refund.order_id == order.id, Refund.status == REFUND_PENDING,
                             Refund.stripe_refund_id.is_(None))))


def may_cancel(order: Order) -> bool:
    """Whether staff may still cancel the order: paid, and neither shipped nor delivered."""
    return order.paid_at is not None and order.status != PENDING_PAYMENT and can_transition(order, CANCELLED)


def refund_options(order: Order) -> dict:
    """What the order's page offers staff: how much is left to refund, may it be cancelled."""
    left = services.refundable(order) if order.stripe_payment_intent_id else 0
    return {"refundable": left, "can_refund": left > 0, "can_cancel": may_cancel(order)}


# --- step 1: the request, on record before Stripe is asked -------------------------------------

def _request_refund(order_id, staff, *, reason, amount, request_key) -> _Request:
    reason = _checked_reason(reason)
    order = _locked(order_id)
    repeated = _repeated_request(order, request_key, amount)
    if repeated is not None:
        return repeated
    if not services.money_taken(order):
        raise Conflict(f"Order #{order.id} is {order.status.replace('_', ' ')}: there is no payment to refund.")
    amount = _checked_amount(amount, services.refundable(order))
    refund = _new_refund(order, staff, amount, reason, request_key, kind="refund")
    return _Request(order.id, refund.id)


def _request_cancellation(order_id, staff, *, reason, request_key) -> _Request:
    reason = _checked_reason(reason)
    order = _locked(order_id)
    if order.status == CANCELLED and order.paid_at is not None:
        # Cancelled already (a double click, two staff at once): the first cancellation stands.
        pending = _refund_for_key(order, request_key) if request_key else None
        return _Request(order.id, pending.id if pending is not None and _needs_resend(pending) else None)
    if order.paid_at is None or order.status == PENDING_PAYMENT:
        raise Conflict(f"Order #{order.id} is not paid: an unpaid checkout is cancelled when it expires.")
    if not may_cancel(order):
        raise Conflict(f"Order #{order.id} is {order.status.replace('_', ' ')}: it can no longer be cancelled.")
    amount = services.refundable(order)
    if amount > 0 and not order.stripe_payment_intent_id:
        raise Conflict("This order has no Stripe payment to refund.")
    actor = _actor(staff)
    transition(order, CANCELLED, actor=actor, message=f"Cancelled by staff: {reason}",
               data={"staff_id": staff.id, "reason": reason, "refund_amount": amount})
    stock.release(order)
    _cancel_followups(order)
    refund = _new_refund(order, staff, amount, reason, request_key, kind="cancel") if amount > 0 else None
    queue_email("order_cancelled", order.email, order_id=order.id, dedupe_key=f"order-cancelled:{order.id}",
                context={"order": order, "refund_amount": amount, "order_url": _order_url(order)})
    return _Request(order.id, refund.id if refund is not None else None)


def _new_refund(order: Order, staff, amount: int, reason: str, request_key: str | None, *, kind: str) -> Refund:
    """A pending refund with its idempotency key, and who asked, why and for how much on the timeline.

    The key carries the payment intent, so it is never reused at Stripe for another payment (a
    database restored from a backup counts its ids again).
    """
    refund = Refund(order_id=order.id, amount=amount, currency=order.currency, status=REFUND_PENDING,
                    requested_by_id=staff.id, reason=reason)
    if request_key:
        refund.idempotency_key = _key_for_request(order, request_key)
    db.session.add(refund)
    db.session.flush()
    if refund.idempotency_key is None:
        refund.idempotency_key = f"order-{order.id}-refund-{refund.id}-{order.stripe_payment_intent_id}"
    refund.data = {"kind": kind}
    what = "Cancellation refund" if kind == "cancel" else "Refund"
    record_event(order, actor=_actor(staff), kind="refund_requested",
                 message=f"{what} of {format_money(amount, order.currency)} requested: {reason}",
                 data={"staff_id": staff.id, "amount": amount, "reason": reason, "refund_id": refund.id,
                       "idempotency_key": refund.idempotency_key, "cancel": kind == "cancel"})
    db.session.flush()
    return refund


def _repeated_request(order: Order, request_key: str | None, amount: int | None) -> _Request | None:
    """The same request again (its key already used): answered as it stands, never refunded twice."""
    if not request_key:
        return None
    earlier = _refund_for_key(order, request_key)
    if earlier is None:
        return None
    if amount is not None and amount != earlier.amount:
        raise Conflict(f"This request key was used for a refund of {earlier.amount}; "
                       "a refund of another amount needs a new key.")
    return _Request(order.id, earlier.id if _needs_resend(earlier) else None)


def _refund_for_key(order: Order, request_key: str) -> Refund | None:
    return db.session.scalar(select(Refund).where(Refund.idempotency_key == _key_for_request(order, request_key)))


def _key_for_request(order: Order, request_key: str) -> str:
    digest = hashlib.sha256(request_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"order-{order.id}-request-{digest}-{order.stripe_payment_intent_id}"


def _needs_resend(refund: Refund) -> bool:
    """Pending with no Stripe id: Stripe never answered, or the process died before asking."""
    if refund.status != REFUND_PENDING or refund.stripe_refund_id:
        return False
    return bool((refund.data or {}).get("outcome_unknown")) or as_utc(refund.created_at) < utcnow() - RESEND_AFTER


def _checked_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable(errors={"reason": [REQUIRED]})
    if len(reason) > REASON_MAX:
        raise Unprocessable(errors={"reason": [f"At most {REASON_MAX} characters"]})
    return reason


def _checked_amount(amount: int | None, left: int) -> int:
    if left <= 0:
        raise Unprocessable("Nothing is left to refund on this order.",
                            errors={"amount": ["Nothing is left to refund on this order"]})
    if amount is None:
        return left
    if amount <= 0:
        raise Unprocessable(errors={"amount": ["Must be greater than 0"]})
    if amount > left:
        raise Unprocessable(f"At most {left} can be refunded.", errors={"amount": [f"At most {left} can be refunded"]})
    return amount


# --- step 2: Stripe, then its answer under the locks again ------------------------------------

def submit_refund(refund_id: int) -> None:
    """Send a pending refund to Stripe and record what Stripe said (flushes; commits a refusal)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.stripe_refund_id or refund.status != REFUND_PENDING:
        return
    order = db.session.get(Order, refund.order_id)
    order_id = order.id
    request = (order.stripe_payment_intent_id, refund.amount, refund.idempotency_key,
               {"order_id": str(order.id), "refund_id": str(refund.id), "refund_key": refund.idempotency_key,
                "requested_by": "staff", "kind": (refund.data or {}).get("kind", "refund")})
    # No snapshot or lock is held while Stripe answers (and SQLite would refuse to turn a stale
    # read snapshot into a write afterwards).
    db.session.rollback()
    try:
        result = stripe_gateway.create_refund(*request)
    except stripe_gateway.PaymentProviderError as exc:
        order = _locked(order_id)
        message = _record_refusal(order, db.session.get(Refund, refund_id), exc)
        db.session.commit()  # the refusal stays on record; the request's answer is an error
        if message is not None:
            raise RefundNotMade(message, code=exc.code) from exc
        return
    order = _locked(order_id)
    _record_sent(order, db.session.get(Refund, refund_id), result)


def _record_sent(order: Order, refund: Refund, result: dict) -> None:
    stripe_id = result["id"]
    known = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_id))
    if known is not None and known.id != refund.id:
        # Stripe's refund was recorded under another row first: that row is this request's.
        known.requested_by_id = known.requested_by_id or refund.requested_by_id
        known.reason = known.reason or refund.reason
        if refund.status == REFUND_PENDING:
            refund_states.transition(refund, REFUND_CANCELED, failure_reason=f"Recorded as refund {stripe_id}")
    record_event(order, actor="stripe", kind="refund_sent",
                 message=f"Refund {stripe_id} of {format_money(refund.amount, refund.currency)}: "
                         f"{result.get('status')}",
                 data={"refund_id": refund.id, "stripe_refund_id": stripe_id, "amount": refund.amount,
                       "idempotency_key": refund.idempotency_key, "stripe_status": result.get("status")})
    services.record_refund(order, result)  # what the refund.* webhook does; whichever comes first


def _record_refusal(order: Order, refund: Refund, exc: stripe_gateway.PaymentProviderError) -> str | None:
    """Record what Stripe's error means; the message for staff when Stripe refused, None when
    it did not answer (the refund stays pending) or a webhook settled it meanwhile."""
    if refund.stripe_refund_id or refund.status != REFUND_PENDING:
        return None  # a webhook settled it meanwhile; Stripe's word there wins
    detail = exc.detail or exc.message
    amount = format_money(refund.amount, refund.currency)
    data = {"refund_id": refund.id, "amount": refund.amount, "idempotency_key": refund.idempotency_key,
            "detail": detail}
    if not exc.declined:
        # A 5xx or a timeout: Stripe may have made it. It stays pending (its amount held) until
        # the webhook or the reconciliation says; repeating the request sends it with the same key.
        refund.data = {**(refund.data or {}), "outcome_unknown": True}
        services.flag_for_staff(order, f"Stripe did not answer the refund of {amount} ({refund.idempotency_key}); "
                                       "it may have been made. Repeat the same request, or wait for Stripe's "
                                       "webhook or the daily reconciliation", kind="refund_unanswered", data=data)
        return None
    refund_states.transition(refund, REFUND_FAILED, failure_reason=detail)
    record_event(order, actor="stripe", kind="refund_refused", message=f"Stripe refused the refund of {amount}: {detail}",
                 data=data)
    if order.status == CANCELLED:
        services.flag_for_staff(order, f"Cancelled, but Stripe refused its refund of {amount} ({detail}): "
                                       "refund the customer again", kind="refund_refused", data=data)
    return f"Stripe refused the refund: {detail}"


# --- helpers ----------------------------------------------------------------------------------

def _locked(order_id: int) -> Order:
    """The order, its claims and its refunds, locked in the order every path takes them."""
    order = lock_order(order_id)
    if order is None:
        raise NotFound("Order not found")
    services.lock_refunds(order)
    return order


def _actor(staff) -> str:
    return f"staff:{staff.email}"


def _cancel_followups(order: Order) -> None:
    from shop.followups.services import cancel_for_order  # followups listen to payments: import late

    cancel_for_order(order, "cancelled")


def _order_url(order: Order) -> str | None:
    from shop.orders.access import order_page_url

    try:
        return order_page_url(order)
    except (BuildError, RuntimeError):  # no order page in this app, or no request to build from
        current_app.logger.info("No order page link for order %s", order.id)
        return None


def get_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("Order not found")
    return order
