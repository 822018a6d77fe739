"""Sending queued emails: SMTP, or the development outbox when MAIL_SERVER is unset.

A failed SMTP conversation is retried with exponential back-off and jitter (Celery's
autoretry), at most MAX_RETRIES times; every attempt's error is logged on the row, and after
the last one the row is `failed` (staff may resend it from the admin).
"""
from celery import shared_task

from shop.emails.sending import TRANSIENT_ERRORS, deliver, note_failure

MAX_RETRIES = 6  # 7 tries over about 20 minutes: 30 s, 1, 2, 4, 8, 10 min apart (± jitter)


@shared_task(
    bind=True,
    name="shop.emails.tasks.send_email",
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=MAX_RETRIES,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def send_email(self, message_id: int) -> bool:
    try:
        return deliver(message_id)
    except TRANSIENT_ERRORS as exc:
        final = self.request.retries >= self.max_retries
        note_failure(message_id, exc, final=final)
        if final:
            return False
        raise  # autoretry_for schedules the next try
