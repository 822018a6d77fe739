"""Periodic payment work for the worker (beat): the stale-checkout sweep."""
from celery import shared_task

from shop.payments.reconcile import sweep_stale_checkouts as sweep


@shared_task(name="shop.payments.tasks.sweep_stale_checkouts")
def sweep_stale_checkouts() -> dict:
    """Idempotent: each order is re-read under its lock and skipped once it has moved on."""
    return sweep()
