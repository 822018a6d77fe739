"""The claim state machine: the only place a claim's status changes, always written to the audit log.

    open ──► approved ──► refunded        (Stripe confirmed the refund)
      │          │  ▲
      │          ▼  │ retry (a new refund attempt)
      ▼        failed ──► refunded       (a refund Stripe refused at first, confirmed later)
    denied

Stripe has the last word on money: a confirmed refund marks the claim refunded even after a
failure, and a refund Stripe later reports failed moves a refunded claim to failed.
"""
from shop.db import utcnow
from shop.errors import Conflict
from shop.guarantee.models import APPROVED, DENIED, FAILED, OPEN, REFUNDED, Claim, ClaimAudit
from shop.orders.states import record_event

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({APPROVED, DENIED}),
    APPROVED: frozenset({REFUNDED, FAILED}),
    FAILED: frozenset({APPROVED, REFUNDED}),
    REFUNDED: frozenset({FAILED}),
    DENIED: frozenset(),
}


class InvalidClaimTransition(Conflict):
    """A decision the claim's state does not allow (approving a denied claim, ...)."""


def can_transition(claim: Claim, new_status: str) -> bool:
    return new_status in TRANSITIONS[claim.status]


def decisions(claim: Claim) -> dict:
    """Which decisions staff may take on the claim now (what its page offers)."""
    return {"approve": can_transition(claim, APPROVED), "deny": can_transition(claim, DENIED),
            "retry": claim.status == FAILED}


def transition(
    claim: Claim,
    new_status: str,
    *,
    actor: str,
    action: str | None = None,
    staff_id: int | None = None,
    amount: int | None = None,
    note: str | None = None,
    stripe_refund_id: str | None = None,
    idempotency_key: str | None = None,
) -> ClaimAudit:
    """Move `claim` to `new_status` and write who, when, how much and why to its audit log.

    The caller holds the claim's row lock and owns the transaction.
    """
    if not can_transition(claim, new_status):
        raise InvalidClaimTransition(f"This claim is {claim.status}; it cannot become {new_status}.")
    previous = claim.status
    claim.status = new_status
    claim.updated_at = utcnow()
    entry = audit(claim, action or new_status, actor=actor, staff_id=staff_id, amount=amount,
                  note=note, stripe_refund_id=stripe_refund_id, idempotency_key=idempotency_key,
                  from_status=previous, to_status=new_status)
    record_event(claim.order, actor=actor, kind="claim", message=f"Guarantee claim {claim.id}: {new_status}",
                 data={"claim_id": claim.id, "from": previous, "to": new_status, "amount": amount})
    return entry


def audit(
    claim: Claim,
    action: str,
    *,
    actor: str,
    staff_id: int | None = None,
    amount: int | None = None,
    note: str | None = None,
    stripe_refund_id: str | None = None,
    idempotency_key: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict | None = None,
) -> ClaimAudit:
    """An audit entry that does not change the status (a refund sent to Stripe, a merge...)."""
    entry = ClaimAudit(action=action, actor=actor, staff_id=staff_id, amount=amount, note=note,
                       stripe_refund_id=stripe_refund_id, idempotency_key=idempotency_key,
                       from_status=from_status, to_status=to_status, data=data)
    claim.audits.append(entry)
    return entry
