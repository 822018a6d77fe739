"""Compose an email from templates/emails/<kind>.{subject.txt,txt,html}, log it, send after commit."""
from flask import current_app, render_template
from sqlalchemy import select

from shop.emails.models import TRANSACTIONAL, EmailMessage
from shop.extensions import db
from shop.worker_bridge import enqueue


def render_email(kind: str, context: dict) -> tuple[str, str, str]:
    context = {"shop_name": current_app.config["SHOP_NAME"],
               "public_url": current_app.config["PUBLIC_URL"], **context}
    subject = render_template(f"emails/{kind}.subject.txt", **context).strip()
    text = render_template(f"emails/{kind}.txt", **context)
    html = render_template(f"emails/{kind}.html", **context)
    return subject, text, html


def queue_email(
    kind: str,
    to: str,
    *,
    context: dict,
    order_id: int | None = None,
    dedupe_key: str | None = None,
    category: str = TRANSACTIONAL,
    headers: dict | None = None,
) -> EmailMessage | None:
    """Log the email and hand it to the worker once the transaction commits.

    With a `dedupe_key` the same email is queued at most once: a second call returns None.
    """
    if dedupe_key and db.session.scalar(select(EmailMessage.id).where(EmailMessage.dedupe_key == dedupe_key)):
        return None
    subject, text, html = render_email(kind, context)
    message = EmailMessage(
        to=to, kind=kind, category=category, subject=subject, body_text=text, body_html=html,
        headers=headers or {}, order_id=order_id, dedupe_key=dedupe_key,
    )
    db.session.add(message)
    db.session.flush()
    from shop.emails.tasks import send_email

    enqueue(send_email, message.id)
    return message
