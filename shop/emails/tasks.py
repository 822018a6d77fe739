"""Sending queued emails (SMTP, or the development outbox when MAIL_SERVER is unset)."""
from celery import shared_task

from shop.emails.sending import deliver


@shared_task(name="shop.emails.tasks.send_email")
def send_email(message_id: int) -> None:
    deliver(message_id)
