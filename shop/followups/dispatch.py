"""One dispatch pass: claim the due follow-ups, send the latest step of each plan, skip the rest.

Claiming is atomic on both databases. On PostgreSQL the batch is read with
`FOR UPDATE SKIP LOCKED`, so concurrent dispatchers take disjoint rows without waiting. On
SQLite every row is claimed by a guarded `UPDATE ... WHERE status = 'scheduled'` (SQLite has
one writer at a time; a row someone else took first updates nothing and is dropped). Either
way a row is sent at most once. The idle pass is the batch query alone, answered from the
partial index `ix_followups_due`.
"""
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from shop.db import as_utc, is_postgres, utcnow
from shop.emails.models import EmailSuppression
from shop.extensions import db
from shop.emails.services import queue_emails
from shop.followups.compose import followup_email
from shop.followups.models import CANCELLED, MARKETING_KINDS, SCHEDULED, SENT, SKIPPED, FollowUp
from shop.observability import record_dispatch_lag
from shop.orders.models import Order

BATCH_SIZE = 500


@dataclass
class DispatchResult:
    sent: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.cancelled


def dispatch_due_followups(
    now: datetime | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[DispatchResult], None] | None = None,
) -> DispatchResult:
    """Send what is due at `now` (default: the current time). Commits once per batch."""
    now = as_utc(now) if now is not None else utcnow()
    result = DispatchResult()
    while True:
        batch = _due_batch(now, batch_size)
        if not batch:
            db.session.rollback()  # end the (read-only) transaction of the idle query
            return result
        _handle_batch(batch, now, result)
        db.session.commit()
        if progress:
            progress(result)


def due_query(now: datetime, limit: int, *, postgres: bool):
    """The dispatcher's only read of the idle pass (bench/dispatch.py shows its plan)."""
    query = (
        select(FollowUp)
        .where(FollowUp.status == SCHEDULED, FollowUp.due_at <= now)
        .order_by(FollowUp.due_at)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


def _due_batch(now: datetime, limit: int) -> list[FollowUp]:
    query = due_query(now, limit, postgres=is_postgres(db.session))
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _handle_batch(batch: list[FollowUp], now: datetime, result: DispatchResult) -> None:
    order_ids = {row.order_id for row in batch}
    plans = _plans(order_ids)
    orders = {o.id: o for o in db.session.scalars(
        select(Order).where(Order.id.in_(order_ids)).options(selectinload(Order.items)))}
    suppressed = set(db.session.scalars(select(EmailSuppression.email).where(
        EmailSuppression.email.in_({orders[i].email.lower() for i in order_ids}))))
    claim = _claim_guarded if not is_postgres(db.session) else _claim_locked
    outgoing = []
    for row in sorted(batch, key=lambda r: (r.due_at, r.id)):
        plan = plans[(row.order_id, row.product_id)]
        order = orders[row.order_id]
        if row.kind in MARKETING_KINDS and order.email.lower() in suppressed:
            if claim(row, CANCELLED, reason="unsubscribed"):
                result.cancelled += 1
        elif _superseded(row, plan, now, order.email.lower() in suppressed):
            if claim(row, SKIPPED):
                result.skipped += 1
        elif claim(row, SENT):
            record_dispatch_lag((now - as_utc(row.due_at)).total_seconds())
            outgoing.append((row, followup_email(row, order, plan)))
            result.sent += 1
    # One INSERT for the batch's emails, and one task to send them, after the commit.
    messages = queue_emails([spec for _, spec in outgoing], one_task=True)
    for (row, _), message in zip(outgoing, messages):
        row.email_message_id = message.id if message is not None else None
    db.session.flush()


def _plans(order_ids: set[int]) -> dict[tuple[int, int], list[FollowUp]]:
    """Every follow-up of these orders, by (order, product): the plan each row belongs to."""
    plans: dict[tuple[int, int], list[FollowUp]] = defaultdict(list)
    rows = db.session.scalars(
        select(FollowUp).where(FollowUp.order_id.in_(order_ids)).order_by(FollowUp.due_at, FollowUp.id)
    )
    for row in rows:
        plans[(row.order_id, row.product_id)].append(row)
    return plans


def _superseded(row: FollowUp, plan: list[FollowUp], now: datetime, suppressed: bool) -> bool:
    """A later step of the same plan is due too (or already went out): this one is stale.

    A marketing step that will not go to this address does not count as a later step.
    """
    mine = as_utc(row.due_at)
    return any(
        other.id != row.id and other.status in (SCHEDULED, SENT)
        and not (suppressed and other.kind in MARKETING_KINDS)
        and mine < as_utc(other.due_at) <= now
        for other in plan
    )


def _claim_locked(row: FollowUp, status: str, reason: str | None = None) -> bool:
    # The row is ours under FOR UPDATE SKIP LOCKED; its status was read under that lock.
    if row.status != SCHEDULED:
        return False
    _set(row, status, reason)
    return True


def _claim_guarded(row: FollowUp, status: str, reason: str | None = None) -> bool:
    taken = db.session.execute(
        update(FollowUp).where(FollowUp.id == row.id, FollowUp.status == SCHEDULED)
        .values(updated_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        db.session.expire(row)
        return False
    _set(row, status, reason)
    return True


def _set(row: FollowUp, status: str, reason: str | None) -> None:
    from shop.followups.states import set_status

    set_status(row, status, reason=reason)
