"""Server-side sign-in sessions of the admin panel.

The cookies (Flask's session, and Flask-Login's remember cookie if ever used) carry only
`<staff id>:<key>`; the key's digest names a row here, checked on every request. Signing out
ends the row, so a copy of the cookie opens nothing afterwards. A bumped
`Staff.session_version` (password, role, second factor changed; deactivation) ends every
session started before it. Services flush; the caller commits.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from shop.accounts.models import Staff, StaffSession
from shop.db import as_utc, utcnow
from shop.extensions import db


# An ended or expired session opens nothing; its row is kept this long after, as a trail of
# who was signed in to the admin when, then deleted (`forget_spent_sessions`, hourly).
KEEP_SPENT_FOR = timedelta(days=30)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(staff: Staff) -> str:
    """A new session for `staff`, lasting STAFF_SESSION_HOURS; its key (also on `staff`)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config.get("STAFF_SESSION_HOURS", 12)
    db.session.add(StaffSession(staff_id=staff.id, key_hash=_digest(key), staff_version=staff.session_version,
                                created_at=now, expires_at=now + timedelta(hours=hours)))
    db.session.flush()
    staff.session_key = key
    return key


def staff_for_session(session_id: str) -> Staff | None:
    """The staff member of a live session named `<staff id>:<key>`, or None."""
    staff_id, _, key = (session_id or "").partition(":")
    if not staff_id.isdigit() or not key:
        return None
    row = db.session.execute(
        select(StaffSession, Staff)
        .join(Staff, StaffSession.staff_id == Staff.id)
        .where(StaffSession.key_hash == _digest(key), Staff.id == int(staff_id))
    ).first()
    if row is None:
        return None
    signed_in, staff = row
    if (signed_in.ended_at is not None or as_utc(signed_in.expires_at) <= utcnow() or not staff.active
            or signed_in.staff_version != staff.session_version):
        return None
    staff.session_key = key
    return staff


def end_session(staff: Staff) -> None:
    """End the session `staff` was loaded for (signing out)."""
    if staff.session_key:
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.key_hash == _digest(staff.session_key), StaffSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        staff.session_key = None


def end_every_session(staff: Staff) -> None:
    """Every session of `staff` started so far stops working at its next request."""
    staff.session_version += 1
    db.session.flush()


def forget_spent_sessions(*, now: datetime | None = None) -> int:
    """Delete sessions that ended or expired more than KEEP_SPENT_FOR ago; how many went."""
    before = (as_utc(now) if now is not None else utcnow()) - KEEP_SPENT_FOR
    return db.session.execute(
        delete(StaffSession).where(or_(StaffSession.expires_at <= before,
                                       and_(StaffSession.ended_at.is_not(None), StaffSession.ended_at <= before)))
        .execution_options(synchronize_session=False)).rowcount
