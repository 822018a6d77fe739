"""Approving a claim and refunding it through Stripe, never twice.

An approval happens in two steps so no row lock is held across Stripe's HTTP call:
1. `approve_claim` locks the order, its claims and its refunds (the store's one lock order), moves the claim to `approved` and records a
   pending `Refund` whose idempotency key is derived from the claim and the attempt; the caller
   commits. A second approval (a double click, two staff at once) finds the claim `approved` and
   returns it unchanged: only the approval that made the transition sends a refund.
2. `submit_refund` sends that refund to Stripe, then, under the locks again, stores Stripe's
   refund id, or marks the claim `failed` with Stripe's message when Stripe refused.
The claim becomes `refunded` only when Stripe confirms (the webhook, see `settle_claim`).

`approve_and_refund` is the use case staff screens and the staff API call: it commits step 1
itself, so the approval and its pending refund are on record before Stripe is asked, and leaves
step 2's result to the request's unit of work.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from shop.db import as_utc, utcnow
from shop.errors import Conflict, Unprocessable
from shop.extensions import db
from shop.guarantee import notifications, states
from shop.guarantee.models import APPROVED, FAILED, REFUNDED, Claim
from shop.guarantee.services import lock_claim, refundable_amount
from shop.payments import refund_states, stripe_gateway
from shop.payments.models import REFUND_CANCELED, REFUND_FAILED, REFUND_PENDING, REFUND_SUCCEEDED, Refund
from shop.payments.services import lock_refunds

# A pending refund that never reached Stripe (the process died mid-approval) is sent again, with
# the same idempotency key, by the next approval after this long.
RESEND_AFTER = timedelta(minutes=2)


@dataclass
class Approval:
    claim: Claim
    refund_id: int | None  # the refund this request must send to Stripe, if any


def approve_and_refund(claim_id: int, staff, amount: int | None = None) -> Claim:
    """Approve a claim and ask Stripe for its refund; the claim as it stands afterwards.

    Commits the approval before Stripe is called (a crash in between leaves a pending refund
    that the next approval resends with the same idempotency key, see `RESEND_AFTER`).
    """
    approval = approve_claim(claim_id, staff, amount)
    db.session.commit()
    if approval.refund_id is None:
        return approval.claim
    return submit_refund(approval.refund_id)


def approve_claim(claim_id: int, staff, amount: int | None = None) -> Approval:
    """Approve (or, after a failure, retry) a claim for `amount` (default: all still refundable)."""
    claim = lock_claim(claim_id)
    if claim.status in (APPROVED, REFUNDED):
        # Already decided: the first approval stands and is answered again, never refunded twice.
        return Approval(claim, claim.refund_id if _needs_resend(claim.refund) else None)
    if not states.can_transition(claim, APPROVED):
        raise states.InvalidClaimTransition(f"This claim is {claim.status}; it cannot be approved.")
    order = claim.order
    if not order.stripe_payment_intent_id:
        raise Conflict("This order has no Stripe payment to refund.")
    lock_refunds(order)  # after the order and its claims: the store's one lock order
    amount = _checked_amount(amount, refundable_amount(order))

    retry = claim.status == FAILED
    refund = _unsettled_attempt(claim, amount) if retry else None
    if refund is None:
        claim.attempts += 1
        key = f"claim-{claim.id}-refund-{claim.attempts}-{order.stripe_payment_intent_id}"
        refund = Refund(order_id=order.id, claim_id=claim.id, idempotency_key=key, amount=amount,
                        currency=order.currency, status=REFUND_PENDING)
        db.session.add(refund)
    else:
        key = refund.idempotency_key
    db.session.flush()
    claim.refund_id = refund.id
    claim.approved_amount = amount
    claim.failure_message = None
    claim.decided_by_id = staff.id
    claim.decided_at = utcnow()
    states.transition(claim, APPROVED, actor=f"staff:{staff.email}", action="retried" if retry else "approved",
                      staff_id=staff.id, amount=amount, idempotency_key=key)
    return Approval(claim, refund.id)


def _unsettled_attempt(claim: Claim, amount: int) -> Refund | None:
    """The earlier attempt to resend, when Stripe's answer to it never came (a 5xx, a timeout).

    Stripe may have made that refund all the same, so the retry must carry the SAME idempotency
    key: Stripe then answers with the refund it made instead of making a second one. A definite
    refusal (a decline) made nothing, and a retry takes a new key.
    """
    earlier = claim.refund
    if earlier is None or earlier.stripe_refund_id or not (earlier.data or {}).get("outcome_unknown"):
        return None
    if amount != earlier.amount:
        raise Conflict(
            f"Stripe never answered the earlier refund of {earlier.amount}; it may have been made. "
            f"Retry with the same amount, or wait for the daily reconciliation."
        )
    refund_states.transition(earlier, REFUND_PENDING)
    earlier.data = {k: v for k, v in (earlier.data or {}).items() if k != "outcome_unknown"}
    return earlier


def _checked_amount(amount: int | None, refundable: int) -> int:
    if refundable <= 0:
        raise Unprocessable("Nothing is left to refund on this order.",
                            errors={"amount": ["Nothing is left to refund on this order"]})
    if amount is None:
        return refundable
    if amount <= 0:
        raise Unprocessable(errors={"amount": ["Must be greater than 0"]})
    if amount > refundable:
        raise Unprocessable(f"At most {refundable} can be refunded.",
                            errors={"amount": [f"At most {refundable} can be refunded"]})
    if amount != refundable and not current_app.config["GUARANTEE_PARTIAL_REFUNDS"]:
        raise Unprocessable(errors={"amount": [f"Partial refunds are off: approve {refundable}"]})
    return amount


def _needs_resend(refund: Refund | None) -> bool:
    return (refund is not None and refund.status == REFUND_PENDING and not refund.stripe_refund_id
            and as_utc(refund.created_at) < utcnow() - RESEND_AFTER)


def submit_refund(refund_id: int) -> Claim:
    """Send the claim's pending refund to Stripe and record what Stripe said (flushes)."""
    refund = db.session.get(Refund, refund_id)
    claim = db.session.get(Claim, refund.claim_id)
    if refund.stripe_refund_id or refund.status != REFUND_PENDING:
        return claim
    claim_id = claim.id
    request = (claim.order.stripe_payment_intent_id, refund.amount, refund.idempotency_key,
               {"claim_id": str(claim.id), "order_id": str(claim.order_id), "refund_id": str(refund.id),
                "refund_key": refund.idempotency_key})
    # End the read-only transaction: no snapshot or lock is held while Stripe answers (SQLite
    # would refuse to turn a stale read snapshot into a write afterwards).
    db.session.rollback()
    try:
        result = stripe_gateway.create_refund(*request)
    except stripe_gateway.PaymentProviderError as exc:
        claim = _lock_for_refund(claim_id)
        _record_refusal(claim, db.session.get(Refund, refund_id), exc)
        return claim
    claim = _lock_for_refund(claim_id)
    _record_sent(claim, db.session.get(Refund, refund_id), result)
    return claim


def _lock_for_refund(claim_id: int) -> Claim:
    """The order, its claims, its refunds: locked in the order every path takes them."""
    claim = lock_claim(claim_id)
    lock_refunds(claim.order)
    return claim


def _record_sent(claim: Claim, refund: Refund, result: dict) -> None:
    stripe_id = result["id"]
    known = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == stripe_id))
    if known is not None and known.id != refund.id:
        adopt_refund(claim, placeholder=refund, real=known)  # the webhook recorded it first
    elif known is None:
        refund.stripe_refund_id = stripe_id
    states.audit(claim, "refund_sent", actor="stripe", amount=refund.amount, stripe_refund_id=stripe_id,
                 idempotency_key=refund.idempotency_key, data={"stripe_status": result.get("status")})
    settle_claim(claim)


def _record_refusal(claim: Claim, refund: Refund, exc: stripe_gateway.PaymentProviderError) -> None:
    if refund.stripe_refund_id or refund.status != REFUND_PENDING or claim.refund_id != refund.id:
        return  # a webhook settled it meanwhile; Stripe's word there wins
    detail = exc.detail or exc.message
    refund_states.transition(refund, REFUND_FAILED, failure_reason=detail)
    if not exc.declined:  # a 5xx or a timeout: Stripe may have made it; a retry reuses the key
        refund.data = {**(refund.data or {}), "outcome_unknown": True}
    claim.failure_message = detail
    states.transition(claim, FAILED, actor="stripe", action="refund_refused", amount=refund.amount,
                      note=detail, idempotency_key=refund.idempotency_key)


def adopt_refund(claim: Claim, *, placeholder: Refund | None, real: Refund) -> None:
    """Stripe's refund was recorded under another row (by the webhook): make it the claim's."""
    real.claim_id = claim.id
    claim.refund_id = real.id
    if placeholder is not None and placeholder.id != real.id and placeholder.status == REFUND_PENDING:
        refund_states.transition(placeholder, REFUND_CANCELED,
                                 failure_reason=f"Recorded as refund {real.stripe_refund_id}")
    db.session.flush()


def settle_claim(claim: Claim) -> None:
    """Bring the claim in line with what Stripe said about its refunds. Safe to repeat."""
    refunds = list(db.session.scalars(select(Refund).where(Refund.claim_id == claim.id)))
    succeeded = [r for r in refunds if r.status == REFUND_SUCCEEDED]
    claim.refunded_amount = sum(r.amount for r in succeeded)
    current = next((r for r in refunds if r.id == claim.refund_id), None)
    if current is None:
        return
    if current.status == REFUND_SUCCEEDED and claim.status in (APPROVED, FAILED):
        states.transition(claim, REFUNDED, actor="stripe", action="refund_confirmed", amount=current.amount,
                          stripe_refund_id=current.stripe_refund_id)
    elif current.status in (REFUND_FAILED, REFUND_CANCELED) and not succeeded and claim.status in (APPROVED, REFUNDED):
        claim.failure_message = current.failure_reason or "Stripe reported that the refund failed."
        states.transition(claim, FAILED, actor="stripe", action="refund_failed", amount=current.amount,
                          note=claim.failure_message, stripe_refund_id=current.stripe_refund_id)
    for refund in succeeded:
        notifications.refund_confirmed(refund)
