"""Delivery of one logged email over SMTP; idempotent (a sent row is not sent again)."""
import smtplib
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select

from shop.db import utcnow
from shop.emails.models import SENT, EmailMessage
from shop.extensions import db


def deliver(message_id: int) -> None:
    message = db.session.scalar(select(EmailMessage).where(EmailMessage.id == message_id).with_for_update())
    if message is None or message.status == SENT:
        db.session.rollback()
        return
    config = current_app.config
    message.attempts += 1
    if config.get("MAIL_SERVER"):
        mime = to_mime(message, config["MAIL_DEFAULT_SENDER"])
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(mime)
        message.provider_message_id = mime["Message-ID"]
    else:
        message.provider_message_id = f"outbox-{message.id}"
    message.status = SENT
    message.sent_at = utcnow()
    db.session.commit()


def to_mime(message: EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or "shop.localhost")
    for name, value in (message.headers or {}).items():
        mime[name] = value
    mime.set_content(message.body_text)
    mime.add_alternative(message.body_html, subtype="html")
    return mime
