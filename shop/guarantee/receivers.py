"""What the guarantee does when Stripe reports a refund (the payments webhook sends the signal).

Runs inside the webhook's transaction, with the order already locked; it only flushes. The claim
follows the refund row's current status, never the event, so replays and reordered events
(refund.updated before refund.created, charge.refunded first...) end in the same state.
"""
from sqlalchemy import select

from shop.extensions import db
from shop.guarantee import notifications
from shop.guarantee.models import Claim
from shop.guarantee.refunds import adopt_refund, settle_claim
from shop.guarantee.services import lock_claim, lock_order_claims
from shop.payments.models import REFUND_PENDING, REFUND_SUCCEEDED, Refund
from shop.payments.signals import refund_updated, refunds_locking


@refunds_locking.connect
def lock_claims_before_refunds(order, **_) -> None:
    """The store's lock order is order, claims, refunds: the claims are locked before the refunds."""
    lock_order_claims(order.id)


@refund_updated.connect
def on_refund_updated(refund: Refund, previous_status: str | None = None, **_) -> None:
    claim_id = _claim_id_for(refund)
    if claim_id is None:
        # A refund made in the Stripe dashboard: payments recorded it against the order.
        if refund.status == REFUND_SUCCEEDED:
            notifications.refund_confirmed(refund)
        return
    claim = lock_claim(claim_id, order_locked=True)
    if claim.order_id != refund.order_id:
        return
    if claim.refund_id != refund.id:
        current = claim.refund
        if current is not None and current.status == REFUND_PENDING and not current.stripe_refund_id \
                and _metadata(refund).get("refund_key") == current.idempotency_key:
            # Stripe's event overtook our own record of the request: this is the claim's refund.
            adopt_refund(claim, placeholder=current, real=refund)
        elif refund.claim_id is None:
            refund.claim_id = claim.id
    settle_claim(claim)


def _claim_id_for(refund: Refund) -> int | None:
    if refund.claim_id is not None:
        return refund.claim_id
    raw = str(_metadata(refund).get("claim_id") or "")
    if raw.isdigit() and db.session.get(Claim, int(raw)) is not None:
        return int(raw)
    return db.session.scalar(select(Claim.id).where(Claim.refund_id == refund.id))


def _metadata(refund: Refund) -> dict:
    data = refund.data or {}
    return data.get("metadata") or (data.get("object") or {}).get("metadata") or {}
