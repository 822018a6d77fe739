"""Emails no task will send, handed to the worker again (beat, every EMAIL_SWEEP_SECONDS).

A row is someone's until its `claimed_until`: the task it was queued for (a lease's time to
claim it), the retry SMTP asked for (its back-off and a lease), the worker sending it (its
lease). Past that, whoever held it is presumed lost: the broker was down when the task was sent,
Redis restarted with the task, or the worker died mid-send. A `sending` row whose lease lapsed
goes back to `queued`; every such row gets a new task and a new lease to claim it in. With the
default lease (120 s) and sweep (60 s), an email whose worker died is out within about three
minutes. Re-sending is safe: `deliver` claims a row only while it waits.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from shop.db import utcnow
from shop.emails.models import FAILED, MAX_ATTEMPTS, QUEUED, SENDING, EmailMessage
from shop.extensions import db
from shop.worker_bridge import enqueue

log = logging.getLogger(__name__)

BATCH = 500


def stranded_email_ids(limit: int = BATCH) -> list[int]:
    """Rows waiting or being sent whose holder's time is up, the longest-lost first."""
    return list(db.session.scalars(
        select(EmailMessage.id)
        .where(EmailMessage.status.in_((QUEUED, SENDING)), EmailMessage.claimed_until < utcnow())
        .order_by(EmailMessage.claimed_until).limit(limit)
    ))


def resend_stranded() -> int:
    """Send every stranded email's task again (one task per email, with its own retries)."""
    from shop.emails.tasks import send_email

    _fail_exhausted()
    ids = stranded_email_ids()
    if ids:
        lease = timedelta(seconds=current_app.config["EMAIL_CLAIM_LEASE_SECONDS"])
        db.session.execute(
            update(EmailMessage)
            .where(EmailMessage.id.in_(ids), EmailMessage.status.in_((QUEUED, SENDING)),
                   EmailMessage.claimed_until < utcnow())
            .values(status=QUEUED, claimed_until=utcnow() + lease)
            .execution_options(synchronize_session=False)
        )
    for email_id in ids:
        enqueue(send_email, email_id)
    db.session.commit()  # the commit is also what sends the tasks (after_commit)
    if ids:
        log.warning("Re-sent %d stranded email(s) to the worker: %s", len(ids), ids[:20])
    return len(ids)


def _fail_exhausted() -> None:
    """A row whose every attempt ended with its worker gone (one that kills the worker, say) is
    `failed`, for staff to look at, rather than tried forever."""
    db.session.execute(
        update(EmailMessage)
        .where(EmailMessage.status == SENDING, EmailMessage.claimed_until < utcnow(),
               EmailMessage.attempts >= MAX_ATTEMPTS)
        .values(status=FAILED, claimed_until=None,
                last_error=f"No answer after {MAX_ATTEMPTS} attempts (the worker was lost each time)")
        .execution_options(synchronize_session=False)
    )
