"""Guarantee use cases on the customer's side and for staff reading: file, deny, list, context.

Approvals and refunds live in `guarantee.refunds`. Every function flushes; the caller commits.
Locks are always taken in one order: the order, its claims, its refunds, each in primary-key
order (`lock_claim`, `payments.services.lock_refunds`); the webhook follows it too.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from shop.db import as_utc, utcnow
from shop.errors import Conflict, NotFound, Unprocessable
from shop.extensions import db
from shop.guarantee import notifications, states
from shop.guarantee.models import (
    DENIED,
    DETAILS_MAX,
    LIVE_STATUSES,
    NOTE_MAX,
    OPEN,
    REASON_MAX,
    STATUSES,
    Claim,
)
from shop.orders.models import CANCELLED, DELIVERED, PARTIALLY_REFUNDED, PENDING_PAYMENT, Order
from shop.orders.services import lock_order
from shop.orders.states import record_event
from shop.payments.services import unsettled_refunds
from shop.subscriptions.services import is_renewal

REQUIRED = "Required field missing"
CLAIMABLE_STATUSES = (DELIVERED, PARTIALLY_REFUNDED)


def claim_dict(claim: Claim) -> dict:
    """A claim as API.md shows it."""
    return {
        "id": claim.id,
        "order_id": claim.order_id,
        "status": claim.status,
        "reason": claim.reason,
        "requested_amount": claim.requested_amount,
        "refunded_amount": claim.refunded_amount,
        "created_at": as_utc(claim.created_at).isoformat(),
    }


def order_claims(order: Order) -> list[dict]:
    """The order's claims, oldest first, shaped like API.md's Claim (the order API embeds them)."""
    claims = db.session.scalars(select(Claim).where(Claim.order_id == order.id).order_by(Claim.id))
    return [claim_dict(claim) for claim in claims]


def claims_by_order(order_ids: list[int]) -> dict[int, list[Claim]]:
    """The claims of many orders in one query (a list page), each order's oldest first."""
    grouped: dict[int, list[Claim]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for claim in db.session.scalars(select(Claim).where(Claim.order_id.in_(order_ids)).order_by(Claim.id)):
            grouped[claim.order_id].append(claim)
    return grouped


def guarantee_days(order: Order) -> int | None:
    """The strictest (smallest) guarantee among the order's products."""
    days = [item.product.guarantee_days for item in order.items if item.product is not None]
    return min(days) if days else None


# The guarantee is a first-purchase promise: it covers the order that started a subscription
# (the customer tried the product), not the renewals a subscriber chose to keep receiving.
RENEWAL_NOT_COVERED = ("The guarantee covers the first order of a subscription; renewals are not covered. "
                       "You can cancel the subscription any time.")


def guarantee_deadline(order: Order) -> datetime | None:
    """The last moment a claim is accepted (inclusive, to the second); None before delivery,
    and for a subscription's renewals (not covered)."""
    days = guarantee_days(order)
    if order.delivered_at is None or days is None or is_renewal(order):
        return None
    return as_utc(order.delivered_at) + timedelta(days=days)


def refundable_amount(order: Order) -> int:
    """What may still be refunded: paid, minus refunded, minus refunds Stripe has not settled.

    Shipping is excluded unless GUARANTEE_REFUND_SHIPPING is on.
    """
    pending = unsettled_refunds(order)
    cap = order.total if current_app.config["GUARANTEE_REFUND_SHIPPING"] else order.total - (order.amount_shipping or 0)
    return max(0, cap - order.refunded_total - pending)


def live_claim(order_id: int) -> Claim | None:
    return db.session.scalar(select(Claim).where(Claim.order_id == order_id, Claim.status.in_(LIVE_STATUSES)))


def latest_claim_id(order_id):
    """The id of the latest claim on `order_id` (a column or a value), as a scalar subquery: the
    order page joins the claim to its order's row rather than asking for it apart."""
    earlier = aliased(Claim)  # not the claims row it is compared with in the enclosing statement
    return select(func.max(earlier.id)).where(earlier.order_id == order_id).correlate_except(earlier).scalar_subquery()


def order_page_panel(order: Order, latest: Claim | None = None, *, loaded: bool = False) -> dict:
    """What the order page's guarantee panel shows: the window, the latest claim, may one be filed.

    `loaded`: `latest` was read with the order (`latest_claim_id`); otherwise it is read here.
    """
    if not loaded:
        latest = db.session.scalar(select(Claim).where(Claim.order_id == order.id).order_by(Claim.id.desc()).limit(1))
    window = claim_window(order)
    return {**window, "claim": latest, "can_file": window["open"] and (latest is None or not latest.is_live),
            "shown": order.status not in (PENDING_PAYMENT, CANCELLED)}


def claim_window(order: Order, now: datetime | None = None) -> dict:
    """What the order page shows: the deadline, whether a claim may be filed now, and why not."""
    now = now or utcnow()
    deadline = guarantee_deadline(order)
    reason = None
    if is_renewal(order):
        deadline, reason = None, RENEWAL_NOT_COVERED
    elif order.status not in CLAIMABLE_STATUSES or deadline is None:
        reason = "The guarantee starts when your order is delivered."
    elif now > deadline:
        reason = "The guarantee period for this order has ended."
    return {"deadline": deadline, "open": reason is None, "why_not": reason}


def file_claim(
    order_id: int,
    reason: str | None,
    *,
    details: str | None = None,
    doses_reached: int | None = None,
    side_effects: str | None = None,
    now: datetime | None = None,
) -> Claim:
    """The customer asks for their money back. 422 outside the window, 409 with a live claim."""
    reason = (reason or "").strip()
    details = (details or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [REQUIRED]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"At most {REASON_MAX} characters"]
    if len(details) > DETAILS_MAX:
        errors["details"] = [f"At most {DETAILS_MAX} characters"]
    if side_effects and len(side_effects) > DETAILS_MAX:
        errors["side_effects"] = [f"At most {DETAILS_MAX} characters"]
    if doses_reached is not None and not 0 <= doses_reached <= 10_000:
        errors["doses_reached"] = ["Must be between 0 and 10000"]
    if errors:
        raise Unprocessable(errors=errors)

    order = lock_order(order_id)
    if order is None:
        raise NotFound("Order not found")
    window = claim_window(order, now)
    if not window["open"]:
        raise Unprocessable(window["why_not"], errors={"order": [window["why_not"]]})
    if live_claim(order.id) is not None:
        raise Conflict("This order already has a claim in progress.")
    refundable = refundable_amount(order)
    if refundable <= 0:
        message = "Nothing is left to refund on this order."
        raise Unprocessable(message, errors={"order": [message]})

    claim = Claim(order_id=order.id, reason=reason, details=details, doses_reached=doses_reached,
                  side_effects=(side_effects or "").strip() or None, requested_amount=refundable,
                  currency=order.currency, repeat_claimer=_is_repeat_claimer(order))
    try:
        with db.session.begin_nested():  # the partial unique index settles a race between two tabs
            db.session.add(claim)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("This order already has a claim in progress.") from exc
    states.audit(claim, "filed", actor="customer", amount=refundable, note=reason, to_status=OPEN)
    record_event(order, actor="customer", kind="claim", message=f"Guarantee claim {claim.id} filed",
                 data={"claim_id": claim.id, "requested_amount": refundable})
    notifications.claim_received(claim)
    return claim


def _is_repeat_claimer(order: Order) -> bool:
    if not current_app.config["GUARANTEE_ONE_PER_EMAIL"]:
        return False
    earlier = db.session.scalar(
        select(func.count(Claim.id)).join(Order, Order.id == Claim.order_id)
        .where(func.lower(Order.email) == order.email.lower())
    )
    return bool(earlier)


def lock_claim(claim_id: int, *, order_locked: bool = False) -> Claim:
    """The claim under its row lock, taken in the store's lock order: the order, then its claims.

    All the order's claims are locked, in primary-key order, as the refund webhook locks them
    (`lock_order_claims`); the refunds come after. `order_locked`: the caller (the webhook)
    already holds the order's lock.
    """
    order_id = db.session.scalar(select(Claim.order_id).where(Claim.id == claim_id))
    if order_id is None:
        raise NotFound("Claim not found")
    if not order_locked:
        lock_order(order_id)
    return next(claim for claim in lock_order_claims(order_id) if claim.id == claim_id)


def lock_order_claims(order_id: int) -> list[Claim]:
    """Every claim of an order under its row lock, in primary-key order (the order's lock held)."""
    return list(db.session.scalars(
        select(Claim).where(Claim.order_id == order_id).order_by(Claim.id)
        .with_for_update().execution_options(populate_existing=True)))


def deny_claim(claim_id: int, staff, note: str | None) -> Claim:
    """Support says no, with a note the customer receives. Denying a denied claim changes nothing."""
    note = (note or "").strip()
    if not note:
        raise Unprocessable(errors={"note": [REQUIRED]})
    if len(note) > NOTE_MAX:
        raise Unprocessable(errors={"note": [f"At most {NOTE_MAX} characters"]})
    claim = lock_claim(claim_id)
    if claim.status == DENIED:
        return claim
    states.transition(claim, DENIED, actor=f"staff:{staff.email}", staff_id=staff.id, note=note)
    claim.note = note
    claim.decided_by_id = staff.id
    claim.decided_at = utcnow()
    notifications.claim_denied(claim)
    return claim


def list_claims(status: str | None = None) -> list[Claim]:
    """Claims oldest first (the queue support works through), optionally of one status."""
    query = select(Claim).order_by(Claim.created_at, Claim.id)
    if status:
        if status not in STATUSES:
            raise Unprocessable(errors={"status": [f"Must be one of: {', '.join(STATUSES)}"]})
        query = query.where(Claim.status == status)
    return list(db.session.scalars(query))


def get_claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("Claim not found")
    return claim


def claim_context(claim_id: int) -> dict:
    """What support needs to decide the claim (built in `guarantee.context`)."""
    from shop.guarantee.context import claim_context as build

    return build(claim_id)
