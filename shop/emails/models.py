"""The email log, which is also the development outbox when no SMTP server is set.

An email's states (one row each, see shop/emails/sending.py):

    queued ──claim──▶ sending ──SMTP 250──▶ sent
      ▲                 │
      │                 ├──SMTP refused, attempts left──▶ queued (claimed_until: after the retry's time)
      │                 ├──SMTP refused, last attempt───▶ failed ──staff resend──▶ queued
      └──lease lapsed───┘   (the sweep: the worker died or lost the database mid-send)

`claimed_until` says until when the row is someone's: the task carrying a queued row, or the
worker holding a `sending` row (its lease). Past it, beat's sweep hands the row to a new task.
"""
from datetime import datetime
from email.utils import make_msgid, parseaddr

from flask import current_app, has_app_context
from sqlalchemy import JSON, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, utcnow

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATUSES = (QUEUED, SENDING, SENT, FAILED)

TRANSACTIONAL = "transactional"
MARKETING = "marketing"

# Tries of one email over SMTP before it is `failed`: at the default back-off (30 s doubling to
# 4 minutes, full jitter) an SMTP outage of about 15 minutes (27 at most) is ridden out.
MAX_ATTEMPTS = 10


def new_message_id() -> str:
    """A fresh Message-ID in the sender's domain: the email's one id for life, so a second copy
    sent after a crash is the same message to every mail system (which collapses the pair)."""
    sender = (current_app.config.get("MAIL_DEFAULT_SENDER") or "") if has_app_context() else ""
    return make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "shop.localhost")


class EmailMessage(Base):
    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_status_created_at", "status", "created_at"),
        Index("ix_email_messages_status_claimed_until", "status", "claimed_until"),
        # The retention job's access path: sent emails whose body is still held. Partial, so it
        # holds only the last EMAIL_BODY_RETENTION_DAYS of mail however long the log grows.
        Index(
            "ix_email_messages_body_held_sent_at",
            "sent_at",
            postgresql_where=text("status = 'sent' AND body_removed_at IS NULL"),
            sqlite_where=text("status = 'sent' AND body_removed_at IS NULL"),
        ),
        # The email log filtered by status, newest first (keyset pages seek on the id).
        Index("ix_email_messages_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    kind: Mapped[str] = mapped_column(String(50))  # template name: order_confirmation, followup, ...
    category: Mapped[str] = mapped_column(String(20), default=TRANSACTIONAL)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    # "What this email is about", unique: the same confirmation is never queued twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The Message-ID header, set when the email is queued; every attempt sends this one.
    message_id: Mapped[str] = mapped_column(String(300), unique=True, default=new_message_id)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Set when the retention job replaced the body of this sent email by BODY_REMOVED_TEXT
    # (shop.retention): the row's to, kind, subject, status and times stay on record.
    body_removed_at: Mapped[datetime | None]


# The email log searched by the start of an address, and a customer's data request (equality).
Index("ix_email_messages_to_lower", func.lower(EmailMessage.to).label("to_lower"),
      postgresql_ops={"to_lower": "text_pattern_ops"})


class EmailSuppression(Base):
    """An address that asked for no more marketing mail (check-ins, reminders)."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
