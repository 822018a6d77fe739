"""Periodic payment work for the worker (beat): the stale-checkout sweep and the daily reconciliation."""
from celery import shared_task

from shop.payments import reconcile


@shared_task(name="shop.payments.tasks.sweep_stale_checkouts")
def sweep_stale_checkouts() -> dict:
    """Idempotent: each order is re-read under its lock and skipped once it has moved on."""
    return reconcile.sweep_stale_checkouts()


@shared_task(name="shop.payments.tasks.reconcile_with_stripe")
def reconcile_with_stripe() -> dict:
    """Idempotent: what Stripe says is applied only where the shop differs from it."""
    return reconcile.reconcile_with_stripe()
