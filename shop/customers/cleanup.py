"""Forgetting what a signed-in browser or a mailbox no longer needs: one-time links that were
used or have expired, and customer sessions that ended or expired.

Such a row opens nothing any more (a link works once, for minutes; a session is checked on
every request), so keeping it only keeps a trail of who signed in when. Each is kept for
`KEEP_FOR` after it stopped working, so a link clicked twice still says "used already" (410)
rather than "not valid" that day. The beat task `shop.customers.tasks.forget_spent_sign_ins`
runs this hourly; running it twice deletes nothing more. Services flush; the task commits.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_

from shop.customers.models import AccountLink, CustomerSession
from shop.db import as_utc, utcnow
from shop.extensions import db

KEEP_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Forgotten:
    links: int
    sessions: int


def forget_spent_sign_ins(*, now: datetime | None = None) -> Forgotten:
    """Delete links used or expired, and sessions ended or expired, more than KEEP_FOR ago."""
    before = (as_utc(now) if now is not None else utcnow()) - KEEP_FOR
    links = db.session.execute(
        delete(AccountLink).where(or_(AccountLink.expires_at <= before,
                                      and_(AccountLink.used_at.is_not(None), AccountLink.used_at <= before)))
        .execution_options(synchronize_session=False)).rowcount
    sessions = db.session.execute(
        delete(CustomerSession).where(or_(CustomerSession.expires_at <= before,
                                          and_(CustomerSession.ended_at.is_not(None),
                                               CustomerSession.ended_at <= before)))
        .execution_options(synchronize_session=False)).rowcount
    db.session.flush()
    return Forgotten(links=links, sessions=sessions)
