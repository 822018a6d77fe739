"""The follow-up state machine: the only place a follow-up's status changes."""
from shop.db import utcnow
from shop.errors import Conflict
from shop.followups.models import CANCELLED, SCHEDULED, SENT, SKIPPED, FollowUp

# Only a waiting row moves; sent, skipped and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({SENT, SKIPPED, CANCELLED}),
    SENT: frozenset(),
    SKIPPED: frozenset(),
    CANCELLED: frozenset(),
}


class InvalidFollowUpTransition(Conflict):
    """A follow-up that already left (or was dropped) cannot change again."""


def set_status(followup: FollowUp, new_status: str, *, reason: str | None = None) -> None:
    if new_status not in TRANSITIONS[followup.status]:
        raise InvalidFollowUpTransition(
            f"Follow-up {followup.id} cannot go from {followup.status} to {new_status}"
        )
    followup.status = new_status
    if new_status == SENT:
        followup.sent_at = utcnow()
    elif new_status == CANCELLED:
        followup.cancel_reason = reason
