"""The refund state machine: the only place a refund's status changes.

    pending ──► succeeded ──► failed | canceled   (Stripe may fail a refund after it succeeded)
    pending ──► failed | canceled
    failed  ──► pending                           (a retry of an attempt Stripe never answered)

The order's refunded total follows the refunds that stand (`payments.services.settle_refunds`).
"""
from shop.errors import Conflict
from shop.payments.models import REFUND_CANCELED, REFUND_FAILED, REFUND_PENDING, REFUND_SUCCEEDED, Refund

TRANSITIONS: dict[str, frozenset[str]] = {
    REFUND_PENDING: frozenset({REFUND_SUCCEEDED, REFUND_FAILED, REFUND_CANCELED}),
    REFUND_SUCCEEDED: frozenset({REFUND_FAILED, REFUND_CANCELED}),
    REFUND_FAILED: frozenset({REFUND_PENDING}),
    REFUND_CANCELED: frozenset(),
}


class InvalidRefundTransition(Conflict):
    """A move the refund's state does not allow (a canceled refund succeeding, ...)."""


def can_transition(refund: Refund, new_status: str) -> bool:
    return new_status in TRANSITIONS[refund.status or REFUND_PENDING]


def transition(refund: Refund, new_status: str, *, failure_reason: str | None = None) -> bool:
    """Move `refund` to `new_status`; False (nothing changes) when it is there already.

    The caller holds the order's row lock and owns the transaction. A move to pending clears the
    failure reason; `failure_reason`, when given, is kept for failed and canceled refunds.
    """
    current = refund.status or REFUND_PENDING
    if new_status == current:
        return False
    if not can_transition(refund, new_status):
        raise InvalidRefundTransition(f"Refund {refund.id} cannot go from {current} to {new_status}")
    refund.status = new_status
    if new_status == REFUND_PENDING:
        refund.failure_reason = None
    elif failure_reason and new_status in (REFUND_FAILED, REFUND_CANCELED):
        refund.failure_reason = failure_reason
    return True
