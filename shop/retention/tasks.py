"""The daily beat task (worker/schedule.py): one retention run."""
from datetime import timedelta

from celery import shared_task
from flask import current_app

from shop.retention.services import apply_retention


@shared_task(name="shop.retention.tasks.apply_retention", ignore_result=True)
def apply_retention_task() -> dict:
    """Idempotent: each batch removes only what is still past its time.

    The run stops between batches at half the broker's visibility timeout, so Redis never hands
    a run still going to a second worker; what is left goes on the next run.
    """
    budget = timedelta(seconds=current_app.config["CELERY_VISIBILITY_TIMEOUT"] / 2)
    return apply_retention(time_budget=budget).as_dict()
