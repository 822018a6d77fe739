"""The beat task that forgets spent sign-in links and ended sessions (schedule: worker/schedule.py)."""
from dataclasses import asdict

from celery import shared_task

from shop.accounts.sessions import forget_spent_sessions as forget_staff_sessions
from shop.customers.cleanup import forget_spent_sign_ins as forget


@shared_task(name="shop.customers.tasks.forget_spent_sign_ins")
def forget_spent_sign_ins() -> dict:
    """Customers' spent links and sessions, and the admin's spent sessions. Idempotent: a second
    run finds nothing left to delete. Its unit of work commits."""
    return {**asdict(forget()), "staff_sessions": forget_staff_sessions()}
