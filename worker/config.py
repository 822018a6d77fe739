"""Celery's settings, derived from the Flask settings so the web app and the worker agree.

The web side reads them too (`shop.worker_bridge`), to send tasks to the same broker and queue
the worker reads.
"""
from worker.schedule import beat_schedule

# Every module holding tasks; a module that fails to import stops the worker at start.
TASK_MODULES = (
    "shop.customers.tasks",
    "shop.emails.tasks",
    "shop.followups.tasks",
    "shop.payments.tasks",
    "shop.subscriptions.tasks",
    "shop.retention.tasks",
)

# Redis redelivers a task nobody acknowledged after this long (see `celery_settings`).
DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 3600


def celery_settings(config) -> dict:
    """Celery's configuration for the Flask settings `config`."""
    broker = config["CELERY_BROKER_URL"]
    settings = {
        "broker_url": broker,
        "task_default_queue": config.get("CELERY_QUEUE") or "celery",
        "task_ignore_result": True,
        # A task is acknowledged after it ran: a worker killed mid-task leaves it for another.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
        "include": list(TASK_MODULES),
        "beat_schedule": beat_schedule(config),
    }
    if broker.startswith("redis"):
        # Redis redelivers unacknowledged tasks (a killed worker's) after this long. It must be
        # longer than any task runs and than the longest retry countdown (4 minutes), or Redis
        # hands out a second copy of a task still held. Emails do not wait for it: the sweep
        # takes back a dead worker's emails once their claim lease lapses.
        settings["broker_transport_options"] = {
            "visibility_timeout": config.get("CELERY_VISIBILITY_TIMEOUT") or DEFAULT_VISIBILITY_TIMEOUT_SECONDS}
    # The embedded (sqla+) broker takes no transport options: kombu hands them all to
    # create_engine(), which refuses `polling_interval`; it polls every second by default.
    return settings
