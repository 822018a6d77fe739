"""The beat task: one dispatch pass every minute (the schedule is in shop/worker_bridge.py)."""
from celery import shared_task

from shop.followups.dispatch import dispatch_due_followups as dispatch


@shared_task(name="shop.followups.tasks.dispatch_due_followups", ignore_result=True)
def dispatch_due_followups() -> int:
    """Idempotent by construction: only rows still `scheduled` and due are claimed."""
    return dispatch().handled
