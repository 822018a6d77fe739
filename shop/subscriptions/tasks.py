"""Periodic subscription work for the worker (beat): renewal notices and renewal moves Stripe
has not taken yet. Both are idempotent: each row is re-read under its lock."""
from celery import shared_task

from shop.subscriptions import notices, services


@shared_task(name="shop.subscriptions.tasks.send_renewal_notices")
def send_renewal_notices() -> int:
    """One notice per renewal date (the row remembers it; the email's dedupe key names it)."""
    return notices.send_due_renewal_notices()


@shared_task(name="shop.subscriptions.tasks.retry_pending_moves")
def retry_pending_moves() -> dict:
    """A move Stripe has taken is cleared, so running again asks nothing more."""
    return services.retry_pending_moves()
