"""Sending queued emails: SMTP, or the development outbox when MAIL_SERVER is unset.

A failed SMTP conversation, and a database that is away, are retried with exponential back-off
and full jitter (EMAIL_RETRY_BACKOFF_SECONDS, 30 s, doubling up to 4 minutes, never under a
second). The row counts the SMTP tries: after MAX_ATTEMPTS it is `failed` (staff may resend it
from the admin). `resend_stranded_emails` (beat) hands rows whose task was lost to a new one.
"""
from celery import shared_task
from sqlalchemy.exc import DBAPIError

from shop.emails.models import MAX_ATTEMPTS
from shop.emails.sending import Deferred, deliver, is_database_outage, retry_delay

# SMTP retries end at MAX_ATTEMPTS (the row decides); the rest is room for database outages.
# A task out of retries leaves its row to the sweep.
TASK_MAX_RETRIES = 2 * MAX_ATTEMPTS


@shared_task(bind=True, name="shop.emails.tasks.send_email", max_retries=TASK_MAX_RETRIES)
def send_email(self, email_id: int) -> bool:
    try:
        return deliver(email_id)
    except Deferred as deferred:
        raise self.retry(exc=deferred.error, countdown=deferred.seconds) from deferred.error
    except DBAPIError as exc:
        if not is_database_outage(exc):
            raise
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries + 1)) from exc


@shared_task(name="shop.emails.tasks.send_emails")
def send_emails(email_ids: list[int]) -> int:
    """Send a batch the dispatcher queued, in one task instead of one broker message per email.

    Each email is still claimed on its own, so a batch delivered twice sends nothing twice. At
    the first SMTP failure or database outage the rest of the batch is handed to `send_email`,
    one task per email, after the same back-off: each then retries on its own schedule.
    """
    sent = 0
    for index, email_id in enumerate(email_ids):
        try:
            sent += deliver(email_id)
        except Deferred as deferred:
            _hand_off(email_ids[index:], deferred.seconds)
            break
        except DBAPIError as exc:
            if not is_database_outage(exc):
                raise
            _hand_off(email_ids[index:], retry_delay(1))
            break
    return sent


def _hand_off(email_ids: list[int], countdown: int) -> None:
    for email_id in email_ids:
        send_email.apply_async((email_id,), countdown=countdown)


@shared_task(name="shop.emails.tasks.resend_stranded_emails")
def resend_stranded_emails() -> int:
    """Idempotent: `deliver` claims each row while it waits, so nothing goes twice."""
    from shop.emails.sweeper import resend_stranded

    return resend_stranded()
