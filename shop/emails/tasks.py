"""Sending queued emails: SMTP, or the development outbox when MAIL_SERVER is unset.

A failed SMTP conversation is retried with exponential back-off and jitter (Celery's
autoretry), at most MAX_RETRIES times; every attempt's error is logged on the row, and after
the last one the row is `failed` (staff may resend it from the admin).
"""
from celery import shared_task

from shop.emails.sending import TRANSIENT_ERRORS, deliver, note_failure

MAX_RETRIES = 6  # 7 tries over about 25 minutes: 30 s, 1, 2, 4, 8, 10 min apart (full jitter)
FIRST_RETRY_SECONDS = 30


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


@shared_task(name="shop.emails.tasks.send_emails")
def send_emails(message_ids: list[int]) -> int:
    """Send a batch the dispatcher queued, in one task instead of one broker message per email.

    Each email is still delivered (and claimed) on its own, so a batch delivered twice sends
    nothing twice. At the first SMTP failure the rest of the batch is handed to `send_email`,
    one task per email, with back-off: each then retries on its own schedule.
    """
    sent = 0
    for index, message_id in enumerate(message_ids):
        try:
            sent += deliver(message_id)
        except TRANSIENT_ERRORS as exc:
            note_failure(message_id, exc, final=False)
            for later in message_ids[index:]:
                send_email.apply_async((later,), countdown=FIRST_RETRY_SECONDS)
            break
    return sent
