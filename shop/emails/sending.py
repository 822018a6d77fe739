"""Delivery of one logged email: over SMTP, or into the development outbox without MAIL_SERVER.

Idempotent: the row is claimed with a guarded UPDATE (`status` still queued) that also takes its
row lock, so a task delivered twice, or two workers at once, send it at most once. The SMTP
conversation happens while that lock is held; the commit that marks the row sent releases it.
A crash between the SMTP server's "250 OK" and the commit can still send twice; nothing short
of the provider's own idempotency could avoid that, and it is the rarer, kinder failure.
"""
import smtplib
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid, parseaddr

from flask import current_app
from sqlalchemy import select, update

from shop.db import utcnow
from shop.emails.models import FAILED, QUEUED, SENT, EmailMessage
from shop.extensions import db
from shop.observability import record_email

# Failures worth another try later: the server is down, refused us for now, or timed out.
TRANSIENT_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


def deliver(message_id: int) -> bool:
    """Send the message if it still waits; True when this call sent it. Commits."""
    claimed = db.session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == message_id, EmailMessage.status == QUEUED)
        .values(attempts=EmailMessage.attempts + 1)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return False
    message = db.session.scalar(
        select(EmailMessage).where(EmailMessage.id == message_id).execution_options(populate_existing=True)
    )
    config = current_app.config
    mime = to_mime(message, config["MAIL_DEFAULT_SENDER"])
    if config.get("MAIL_SERVER"):
        _smtp_send(mime, config)
    message.provider_message_id = mime["Message-ID"]
    message.status = SENT
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()
    record_email("sent")
    return True


def _smtp_send(mime: MimeMessage, config) -> None:
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 30)) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(mime)


def note_failure(message_id: int, error: Exception, *, final: bool) -> None:
    """Record a failed attempt (committed on its own); on the last try the row is `failed`."""
    db.session.rollback()
    attempts = EmailMessage.attempts + 1
    values = {"attempts": attempts, "last_error": _describe(error)[:2000]}
    if final:
        values["status"] = FAILED
    db.session.execute(
        update(EmailMessage).where(EmailMessage.id == message_id, EmailMessage.status == QUEUED).values(**values)
    )
    db.session.commit()
    record_email("failed" if final else "deferred")


def _describe(error: Exception) -> str:
    # SMTP errors carry the server's code and text; that is what an operator needs to read.
    return f"{type(error).__name__}: {error}"


def to_mime(message: EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    domain = parseaddr(sender)[1].rpartition("@")[2] or "shop.localhost"
    mime["Message-ID"] = make_msgid(idstring=f"email{message.id}", domain=domain)
    for name, value in (message.headers or {}).items():
        mime[name] = value
    mime.set_content(message.body_text)
    mime.add_alternative(message.body_html, subtype="html")
    return mime

