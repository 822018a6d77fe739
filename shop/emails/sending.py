"""Delivery of one logged email: over SMTP, or into the development outbox without MAIL_SERVER.

No transaction is open during the SMTP conversation. The hand-off is committed first: a guarded
UPDATE moves the row from `queued` to `sending`, counts the attempt and gives the worker a lease
(`claimed_until`, EMAIL_CLAIM_LEASE_SECONDS). Then the message goes to SMTP. Then the result is
committed: `sent`; or `queued` again with the time of its retry; or `failed` after MAX_ATTEMPTS.
Each result is written only while the row is still this attempt's, so a worker whose lease
lapsed (and whose row another worker took) overwrites nothing.

A worker that dies between the SMTP server's "250" and the commit of `sent` (or a database
that stays away for longer than the lease) leaves the row `sending`; the sweep sends it again
when the lease lapses, under the same Message-ID, which mail systems collapse into one message.
"""
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage as MimeMessage

from celery.utils.time import get_exponential_backoff_interval
from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from shop.db import utcnow
from shop.emails.models import FAILED, MAX_ATTEMPTS, QUEUED, SENDING, SENT, EmailMessage
from shop.extensions import db
from shop.observability import record_email

log = logging.getLogger(__name__)

# Failures worth another try later: the server is down, refused us for now, or timed out.
SMTP_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)
# Seconds: the longest wait between two tries. Under five minutes, so an email whose SMTP server
# was down goes out within five minutes of its return, however long the outage lasted.
RETRY_BACKOFF_MAX = 240


class Deferred(Exception):
    """The attempt failed, and is recorded on the row; try again in `seconds`."""

    def __init__(self, error: Exception, seconds: int):
        super().__init__(f"retry in {seconds} s: {error}")
        self.error, self.seconds = error, seconds


@dataclass
class Claim:
    attempt: int
    mime: MimeMessage


def is_database_outage(error: Exception) -> bool:
    """The database went away or dropped the connection: worth a retry, as SMTP errors are."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def retry_delay(attempt: int) -> int:
    """Seconds before try `attempt + 1`: exponential from EMAIL_RETRY_BACKOFF_SECONDS, full jitter,
    at most RETRY_BACKOFF_MAX, and at least a second (a retry at once finds the server still down)."""
    first = current_app.config["EMAIL_RETRY_BACKOFF_SECONDS"]
    return max(1, get_exponential_backoff_interval(
        factor=first, retries=max(0, attempt - 1), maximum=RETRY_BACKOFF_MAX, full_jitter=True))


def deliver(email_id: int) -> bool:
    """Send the email if it still waits; True when this call sent it.

    Commits each step. Raises Deferred when SMTP failed and a retry is due, and the database's
    own errors when the claim could not be committed (nothing was sent then).
    """
    claim = _claim(email_id)
    if claim is None:
        return False
    config = current_app.config
    if config.get("MAIL_SERVER"):
        try:
            _smtp_send(claim.mime, config)
        except SMTP_ERRORS as exc:
            return _record_failure(email_id, claim.attempt, exc)
    _record_sent(email_id, claim.attempt)
    return True


def _claim(email_id: int) -> Claim | None:
    """Commit the hand-off (`sending`, this attempt, a lease); the message to send, or None."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["EMAIL_CLAIM_LEASE_SECONDS"])
    waiting = or_(EmailMessage.status == QUEUED,
                  and_(EmailMessage.status == SENDING, EmailMessage.claimed_until < now))
    try:
        attempt = db.session.execute(
            update(EmailMessage)
            .where(EmailMessage.id == email_id, waiting, EmailMessage.attempts < MAX_ATTEMPTS)
            .values(status=SENDING, attempts=EmailMessage.attempts + 1, claimed_until=now + lease)
            .returning(EmailMessage.attempts)
            .execution_options(synchronize_session=False)
        ).scalar()
        if attempt is None:
            db.session.rollback()
            return None
        message = db.session.scalar(select(EmailMessage).where(EmailMessage.id == email_id)
                                    .execution_options(populate_existing=True))
        try:
            mime = to_mime(message, current_app.config["MAIL_DEFAULT_SENDER"])
        except ValueError as exc:  # a header stored before they were checked: no try can send it
            message.status, message.claimed_until, message.last_error = FAILED, None, _describe(exc)
            db.session.commit()
            record_email("failed")
            return None
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        raise
    return Claim(attempt, mime)


def _smtp_send(mime: MimeMessage, config) -> None:
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 30)) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(mime)


def _record_sent(email_id: int, attempt: int) -> None:
    """The message is out: record it, through a database outage if need be (for as long as the
    lease lasts: after that the sweep may send it again). A row the sweep put back to `queued`
    meanwhile, and no one claimed since, is still this attempt's."""
    _commit_through_outage(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.attempts == attempt,
               EmailMessage.status.in_((SENDING, QUEUED)))
        .values(status=SENT, sent_at=utcnow(), claimed_until=None, last_error=None)
    )
    record_email("sent")


def _record_failure(email_id: int, attempt: int, error: Exception) -> bool:
    """Record a failed try: `failed` after the last one (False), else raise Deferred."""
    final = attempt >= MAX_ATTEMPTS
    values = {"last_error": _describe(error)[:2000]}
    if final:
        values.update(status=FAILED, claimed_until=None)
    else:
        seconds = retry_delay(attempt)
        lease = current_app.config["EMAIL_CLAIM_LEASE_SECONDS"]
        # The retry task has a lease's time to claim the row before the sweep assumes it lost.
        values.update(status=QUEUED, claimed_until=utcnow() + timedelta(seconds=seconds + lease))
    _commit_through_outage(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.attempts == attempt, EmailMessage.status == SENDING)
        .values(**values)
    )
    record_email("failed" if final else "deferred")
    if final:
        return False
    raise Deferred(error, seconds)


def _commit_through_outage(statement) -> None:
    """Execute and commit `statement`, trying again while the database is away, up to half the
    lease (a restarted PostgreSQL is back within seconds); then the error is raised."""
    deadline = time.monotonic() + current_app.config["EMAIL_CLAIM_LEASE_SECONDS"] / 2
    pause = 0.25
    while True:
        try:
            db.session.execute(statement.execution_options(synchronize_session=False))
            db.session.commit()
            return
        except DBAPIError as exc:
            db.session.rollback()
            if not is_database_outage(exc) or time.monotonic() + pause > deadline:
                raise
            log.warning("Database unavailable recording an email's delivery; again in %.2f s: %s", pause, exc)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _describe(error: Exception) -> str:
    # SMTP errors carry the server's code and text; that is what an operator needs to read.
    return f"{type(error).__name__}: {error}"


def to_mime(message: EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id
    for name, value in (message.headers or {}).items():
        mime[name] = value
    mime.set_content(message.body_text)
    mime.add_alternative(message.body_html, subtype="html")
    return mime
