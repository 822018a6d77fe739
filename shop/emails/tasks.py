"""Sending queued emails: SMTP, or the development outbox when MAIL_SERVER is unset.

A failed SMTP conversation is retried with exponential back-off and jitter, at most MAX_RETRIES
times; every attempt's error is logged on the row, and after the last one the row is `failed`
(staff may resend it from the admin). The first back-off is EMAIL_RETRY_BACKOFF_SECONDS (30 s;
fault tests shorten it). `resend_stranded_emails` (beat) picks up rows that no task carries.
"""
from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from flask import current_app

from shop.emails.sending import TRANSIENT_ERRORS, deliver, note_failure

MAX_RETRIES = 6  # 7 tries over about 25 minutes: 30 s, 1, 2, 4, 8, 10 min apart (full jitter)
FIRST_RETRY_SECONDS = 30


@shared_task(
    bind=True,
    name="shop.emails.tasks.send_email",
    max_retries=MAX_RETRIES,
    retry_backoff=FIRST_RETRY_SECONDS,
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
        raise self.retry(exc=exc, countdown=_backoff(self, self.request.retries)) from exc


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
                send_email.apply_async((later,), countdown=_first_backoff())
            break
    return sent


@shared_task(name="shop.emails.tasks.resend_stranded_emails")
def resend_stranded_emails() -> int:
    """Idempotent: `deliver` claims each row while it is still queued, so nothing goes twice."""
    from shop.emails.sweeper import resend_stranded

    return resend_stranded()


def _first_backoff() -> int:
    return current_app.config.get("EMAIL_RETRY_BACKOFF_SECONDS") or FIRST_RETRY_SECONDS


def _backoff(task, retries: int) -> int:
    """At least a second: full jitter may draw 0, and a retry at once would find SMTP still down."""
    return max(1, get_exponential_backoff_interval(factor=_first_backoff(), retries=retries,
                                                   maximum=task.retry_backoff_max,
                                                   full_jitter=task.retry_jitter))
