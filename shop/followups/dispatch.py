"""One dispatch pass: claim the due follow-ups, send the latest step of each plan, skip the rest.

Claiming is atomic on both databases. On PostgreSQL the batch is read with
`FOR UPDATE SKIP LOCKED`, so concurrent dispatchers take disjoint rows without waiting. On
SQLite every row is claimed by a guarded `UPDATE ... WHERE status = 'scheduled'` (SQLite has
one writer at a time; a row someone else took first updates nothing and is dropped). Either
way a row is sent at most once. The idle pass is the batch query alone, answered from the
partial index `ix_followups_due`.

The customer's choices are read when a row comes due, once per batch: marketing steps to an
address on the suppression list, and dose steps of an order whose reminders are off
(`RemindersOff`), are cancelled instead of sent.
"""
import logging
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
from shop.followups.compose import PlanStep, ProductFacts, followup_email, product_facts
from shop.followups.models import CANCELLED, MARKETING_KINDS, SCHEDULED, SENT, SKIPPED, FollowUp, RemindersOff
from shop.followups.states import set_status
from shop.observability import record_dispatch_lag
from shop.orders.models import Order

log = logging.getLogger(__name__)

BATCH_SIZE = 500
EMAIL_REFUSED = "email refused"  # its headers could not be sent (see shop.emails.headers)
REMINDERS_OFF = "reminders off"  # the customer turned the order's dosing reminders off


@dataclass
class DispatchResult:
    sent: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.cancelled

    def count(self, status: str) -> None:
        field = {SENT: "sent", SKIPPED: "skipped", CANCELLED: "cancelled"}[status]
        setattr(self, field, getattr(self, field) + 1)


def dispatch_due_followups(
    now: datetime | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[DispatchResult], None] | None = None,
    on_backlog: Callable[[datetime], None] | None = None,
) -> DispatchResult:
    """Send what is due at `now` (default: the current time). Commits once per batch.

    `on_backlog(now)` is called once, as soon as the first batch is claimed full: more may be due
    than one batch holds, and other dispatchers may join the pass (the beat task asks idle
    worker processes to; see `shop.followups.tasks`).
    """
    now = as_utc(now) if now is not None else utcnow()
    result = DispatchResult()
    products: dict[int, ProductFacts] = {}  # read once per pass, not once per batch
    while True:
        batch = _due_batch(now, batch_size)
        if not batch:
            db.session.rollback()  # end the (read-only) transaction of the idle query
            return result
        if on_backlog and len(batch) == batch_size:
            on_backlog(now)  # helpers skip the rows this batch holds locked
            on_backlog = None
        _handle_batch(batch, now, result, products)
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


def _handle_batch(batch: list[FollowUp], now: datetime, result: DispatchResult,
                  products: dict[int, ProductFacts]) -> None:
    order_ids = {row.order_id for row in batch}
    plans = _plans(order_ids)
    orders = {o.id: o for o in db.session.scalars(
        select(Order).where(Order.id.in_(order_ids)).options(selectinload(Order.items)))}
    product_facts({item.product_id for order in orders.values() for item in order.items}, products)
    suppressed = set(db.session.scalars(select(EmailSuppression.email).where(
        EmailSuppression.email.in_({orders[i].email.lower() for i in order_ids}))))
    reminders_off = set(db.session.scalars(select(RemindersOff.order_id).where(RemindersOff.order_id.in_(order_ids))))
    claim = _claim_guarded if not is_postgres(db.session) else _claim_locked
    decided: list[tuple[FollowUp, str, str | None]] = []
    outgoing = []
    for row in sorted(batch, key=lambda r: (r.due_at, r.id)):
        plan = plans[(row.order_id, row.product_id)]
        order = orders[row.order_id]
        marketing_off, doses_off = order.email.lower() in suppressed, order.id in reminders_off
        if row.kind in MARKETING_KINDS and marketing_off:
            status, reason = CANCELLED, "unsubscribed"
        elif row.kind not in MARKETING_KINDS and doses_off:
            status, reason = CANCELLED, REMINDERS_OFF
        elif _superseded(row, plan, now, marketing_off, doses_off):
            status, reason = SKIPPED, None
        else:
            status, reason = SENT, None
        if not claim(row):
            continue
        decided.append((row, status, reason))
        if status == SENT:
            record_dispatch_lag((now - as_utc(row.due_at)).total_seconds())
            outgoing.append((row, followup_email(row, order, plan, products)))
    # One INSERT for the batch's emails, and one task to send them, after the commit. The rows
    # change status only now, so each is written once, its email's id with it. An email whose
    # headers are refused (a product name with a line break, say) cancels its own follow-up only.
    refused: dict[int, str] = {}

    def refuse(index: int, error: Exception) -> None:
        log.error("Follow-up %s not sent: %s", outgoing[index][0].id, error)
        refused[outgoing[index][0].id] = EMAIL_REFUSED

    messages = queue_emails([spec for _, spec in outgoing], one_task=True, on_refused=refuse)
    email_ids = {row.id: message.id for (row, _), message in zip(outgoing, messages) if message is not None}
    decided = [(row, CANCELLED, refused[row.id]) if row.id in refused else (row, status, reason)
               for row, status, reason in decided]
    for row, status, reason in decided:
        set_status(row, status, reason=reason)
        row.email_message_id = email_ids.get(row.id)
        result.count(status)
    db.session.flush()


# What a plan's steps are read for: which is later, still waiting, a dose, how many capsules.
PLAN_COLUMNS = (FollowUp.id, FollowUp.order_id, FollowUp.product_id, FollowUp.kind, FollowUp.status,
                FollowUp.due_at, FollowUp.capsules, FollowUp.step_day, FollowUp.delay_days)


def _plans(order_ids: set[int]) -> dict[tuple[int, int], list[PlanStep]]:
    """Every follow-up of these orders, by (order, product): the plan each row belongs to.

    Read as plain rows (six or so per order, thousands per batch): only the batch itself needs
    to be entities, and its steps' statuses change after every decision has been made.
    """
    plans: dict[tuple[int, int], list[PlanStep]] = defaultdict(list)
    rows = db.session.execute(
        select(*PLAN_COLUMNS).where(FollowUp.order_id.in_(order_ids)).order_by(FollowUp.due_at, FollowUp.id)
    )
    for row in rows:
        plans[(row.order_id, row.product_id)].append(row)
    return plans


def _superseded(row: FollowUp, plan: list[PlanStep], now: datetime, marketing_off: bool, doses_off: bool) -> bool:
    """A later step of the same plan is due too (or already went out): this one is stale.

    A step that will not go out (marketing to a suppressed address, a dose step of an order
    whose reminders are off) does not count as a later step.
    """
    mine = as_utc(row.due_at)
    return any(
        other.id != row.id and other.status in (SCHEDULED, SENT)
        and not (marketing_off if other.kind in MARKETING_KINDS else doses_off and other.status == SCHEDULED)
        and mine < as_utc(other.due_at) <= now
        for other in plan
    )


def _claim_locked(row: FollowUp) -> bool:
    # The row is ours under FOR UPDATE SKIP LOCKED; its status was read under that lock.
    return row.status == SCHEDULED


def _claim_guarded(row: FollowUp) -> bool:
    taken = db.session.execute(
        update(FollowUp).where(FollowUp.id == row.id, FollowUp.status == SCHEDULED)
        .values(updated_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        db.session.expire(row)
    return bool(taken)
