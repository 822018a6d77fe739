"""The retention job: settled follow-ups, sent emails' bodies and old webhook events go.

Three tables grow with every order and never shrink by themselves. Each has one policy here,
and `apply_retention` runs them all (the daily beat task, `flask --app shop retention run`):

- **follow-ups** (`FOLLOWUP_RETENTION_DAYS`, 180): a sent, skipped or cancelled row is deleted
  that many days after its last change (for a sent one, its sending). A scheduled row is never
  touched. The signed links in follow-up emails expire first (`FOLLOWUP_LINK_MAX_AGE_DAYS`, which
  the settings refuse to exceed), so no live link points at a deleted row.
- **email bodies** (`EMAIL_BODY_RETENTION_DAYS`, 90): a *sent* email keeps its row (to, kind,
  category, subject, status, attempts, times, order, Message-ID, headers) but its text and HTML
  become `BODY_REMOVED_TEXT`, and `body_removed_at` says when. Queued, sending and failed emails
  are never trimmed: they may still go out, and staff resend only failed ones.
- **Stripe events** (`STRIPE_EVENT_RETENTION_DAYS`, 45): a row is deleted that many days after
  it was received. Stripe sends an event again for at most 30 days after creating it (and an
  event is received after it is created), so every event Stripe may still send finds its row and
  is acknowledged as a duplicate; the settings refuse 30 days or fewer.

A setting of 0 keeps that table whole. Work goes in bounded batches so that a first run on a
table of millions never holds a lock for long: the ids of the rows past their time are bounded
once (through the index on the timestamp), then walked in windows of `RETENTION_BATCH_SIZE`
primary keys, one statement and one commit per window.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic

from flask import current_app
from markupsafe import escape
from sqlalchemy import ColumnElement, Table, delete, func, select, update

from shop.db import as_utc, utcnow
from shop.emails.models import SENT as EMAIL_SENT
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups.models import SCHEDULED, FollowUp
from shop.payments.models import StripeEvent

log = logging.getLogger(__name__)

BODY_REMOVED_TEXT = ("[The body of this email was removed by the retention job "
                     "(EMAIL_BODY_RETENTION_DAYS after it was sent); its record is kept.]")
BODY_REMOVED_HTML = f"<p>{escape(BODY_REMOVED_TEXT)}</p>"

FOLLOWUPS = FollowUp.__table__
EMAILS = EmailMessage.__table__
EVENTS = StripeEvent.__table__


@dataclass
class TableResult:
    table: str
    action: str  # what happened to the rows past their time ("deleted")
    dry_action: str  # what would happen to them ("would be deleted")
    before: datetime | None  # rows older than this go; None: the setting keeps them all
    rows: int = 0
    complete: bool = True  # False when the run's time budget ran out before this table was done


@dataclass
class RetentionReport:
    dry_run: bool
    tables: list[TableResult] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {t.table: t.rows for t in self.tables}


Progress = Callable[[TableResult], None]


def apply_retention(now: datetime | None = None, *, dry_run: bool = False, batch_size: int | None = None,
                    time_budget: timedelta | None = None, progress: Progress | None = None) -> RetentionReport:
    """Run every policy at `now` (default: the current time). Commits once per batch.

    `dry_run` only counts what would go. `time_budget` stops between batches once it is spent
    (the beat task passes one shorter than the broker's visibility timeout; what is left goes on
    the next run).
    """
    now = as_utc(now) if now is not None else utcnow()
    config = current_app.config
    batch_size = batch_size or config["RETENTION_BATCH_SIZE"]
    deadline = monotonic() + time_budget.total_seconds() if time_budget is not None else None
    walk = _BatchWalk(batch_size=batch_size, dry_run=dry_run, deadline=deadline, progress=progress)
    report = RetentionReport(dry_run=dry_run)
    report.tables.append(delete_settled_followups(now, config["FOLLOWUP_RETENTION_DAYS"], walk))
    report.tables.append(remove_sent_email_bodies(now, config["EMAIL_BODY_RETENTION_DAYS"], walk))
    report.tables.append(delete_old_stripe_events(now, config["STRIPE_EVENT_RETENTION_DAYS"], walk))
    log.info("Retention %s: %s", "dry run" if dry_run else "run", report.as_dict())
    return report


def delete_settled_followups(now: datetime, days: int, walk: "_BatchWalk") -> TableResult:
    """Sent, skipped and cancelled follow-ups, `days` after their last change."""
    result = TableResult("followups", "deleted", "would be deleted", _cutoff(now, days))
    if result.before is not None:
        past_time = (FOLLOWUPS.c.updated_at < result.before) & (FOLLOWUPS.c.status != SCHEDULED)
        walk.run(FOLLOWUPS, past_time, FOLLOWUPS.c.updated_at < result.before, delete(FOLLOWUPS), result)
    return result


def remove_sent_email_bodies(now: datetime, days: int, walk: "_BatchWalk") -> TableResult:
    """Sent emails, `days` after sending: the body goes, the row stays (never an unsent one)."""
    result = TableResult("email_messages", "bodies removed", "bodies would be removed", _cutoff(now, days))
    if result.before is not None:
        # The partial index ix_email_messages_body_held_sent_at answers exactly this condition.
        past_time = ((EMAILS.c.status == EMAIL_SENT) & EMAILS.c.body_removed_at.is_(None)
                     & (EMAILS.c.sent_at < result.before))
        trim = update(EMAILS).values(body_text=BODY_REMOVED_TEXT, body_html=BODY_REMOVED_HTML, body_removed_at=now)
        walk.run(EMAILS, past_time, past_time, trim, result)
    return result


def delete_old_stripe_events(now: datetime, days: int, walk: "_BatchWalk") -> TableResult:
    """Webhook events, `days` after they were received (long after Stripe stops sending them)."""
    result = TableResult("stripe_events", "deleted", "would be deleted", _cutoff(now, days))
    if result.before is not None:
        past_time = EVENTS.c.received_at < result.before
        walk.run(EVENTS, past_time, past_time, delete(EVENTS), result)
    return result


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days and days > 0 else None


@dataclass
class _BatchWalk:
    batch_size: int
    dry_run: bool
    deadline: float | None
    progress: Progress | None

    def run(self, table: Table, past_time: ColumnElement, indexed: ColumnElement, statement,
            result: TableResult) -> None:
        """Apply `statement` to the rows of `table` matching `past_time`, one window of ids at a time.

        `indexed` is the part of the condition an index answers: the window's bounds are read
        through it, so a table with nothing past its time costs one index probe.
        """
        # `id + 0`: for a plain min(id)/max(id) PostgreSQL walks the primary key from either end,
        # testing each row against the condition, which reads the whole table when few rows match.
        # Over an expression it reads the rows matching `indexed` through its index instead.
        shifted = table.c.id + 0
        low, high = db.session.execute(select(func.min(shifted), func.max(shifted)).where(indexed)).one()
        if low is None:
            db.session.rollback()  # end the read-only transaction
            return
        if self.dry_run:
            result.rows = db.session.scalar(select(func.count()).select_from(table).where(past_time))
            db.session.rollback()
            return
        start = low
        while start <= high:
            if self.deadline is not None and monotonic() > self.deadline:
                result.complete = False
                break
            end = start + self.batch_size - 1
            done = db.session.execute(statement.where(table.c.id.between(start, end), past_time))
            db.session.commit()  # each window its own transaction: locks held for one batch only
            result.rows += done.rowcount
            start = end + 1
            if self.progress:
                self.progress(result)
        db.session.rollback()
