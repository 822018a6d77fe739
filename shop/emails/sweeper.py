"""Emails logged as queued that no task will ever send, handed to the worker again.

An email is committed first and its task sent to the broker after the commit. When the broker
is unreachable at that moment (or a retry scheduled by a worker is lost with it), the row stays
`queued` with nothing carrying it. Beat runs this sweep every few minutes. Re-sending is safe:
`deliver` claims a row only while it is still queued, so a row that a slow task sends
meanwhile is never sent twice.
"""
import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select

from shop.db import utcnow
from shop.emails.models import QUEUED, EmailMessage
from shop.extensions import db
from shop.worker_bridge import enqueue

log = logging.getLogger(__name__)

# A new row waits for its first try longer than this only if its task never reached the broker
# (a backlog of dispatched follow-ups clears in well under this).
NEVER_TRIED_AFTER = timedelta(minutes=10)
# The retry schedule (send_email) ends within about 25 minutes; a row still queued after its
# first failure and this long has lost its retry.
RETRIES_LOST_AFTER = timedelta(hours=1)
BATCH = 500


def stranded_email_ids(limit: int = BATCH) -> list[int]:
    now = utcnow()
    return list(db.session.scalars(
        select(EmailMessage.id)
        .where(EmailMessage.status == QUEUED, or_(
            and_(EmailMessage.attempts == 0, EmailMessage.created_at < now - NEVER_TRIED_AFTER),
            EmailMessage.created_at < now - RETRIES_LOST_AFTER,
        ))
        .order_by(EmailMessage.id).limit(limit)
    ))


def resend_stranded() -> int:
    """Send every stranded email's task again (one task per email, with its own retries)."""
    from shop.emails.tasks import send_email

    ids = stranded_email_ids()
    for message_id in ids:
        enqueue(send_email, message_id)
    db.session.commit()  # nothing written: the commit is what sends the tasks (after_commit)
    if ids:
        log.warning("Re-sent %d stranded email(s) to the worker: %s", len(ids), ids[:20])
    return len(ids)
