"""Celery bound to the Flask app, and the one way the web side hands work to the worker.

Tasks run inside an app context (Flask's Celery pattern). Work is enqueued only after the
database transaction commits, so a rolled-back request never leaves a task behind it.
"""
from celery import Celery, Task
from flask import Flask, current_app

from shop.db import after_commit
from shop.extensions import db

TASK_MODULES = [
    "shop.emails.tasks",
    "shop.followups.tasks",
    "shop.payments.tasks",
]


def init_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    broker = app.config["CELERY_BROKER_URL"]
    celery_app.conf.update(
        broker_url=broker,
        task_default_queue=app.config.get("CELERY_QUEUE") or "celery",
        task_ignore_result=True,
        # A task is acknowledged after it ran: a worker killed mid-task leaves it for another.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        include=[m for m in TASK_MODULES if _importable(m)],
        beat_schedule=beat_schedule(app.config),
    )
    if broker.startswith("redis"):
        # Redis redelivers unacknowledged tasks (a killed worker's) after this long. It must be
        # longer than any task runs and than the longest retry countdown (4 minutes), or Redis
        # hands out a second copy of a task still held. Emails do not wait for it: the sweep
        # takes back a dead worker's emails once their claim lease lapses.
        celery_app.conf.broker_transport_options = {
            "visibility_timeout": app.config.get("CELERY_VISIBILITY_TIMEOUT") or 3600}
    # The embedded (sqla+) broker takes no transport options: kombu hands them all to
    # create_engine(), which refuses `polling_interval`; it polls every second by default.
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def beat_schedule(config) -> dict:
    """The periodic work, in code so every deployment runs the same schedule.

    The email sweep runs every EMAIL_SWEEP_SECONDS (60): with the claim lease (120 s) that
    bounds how late an email whose worker died goes out (about three minutes).
    """
    return {
        "dispatch-due-followups": {
            "task": "shop.followups.tasks.dispatch_due_followups",
            "schedule": 60.0,
        },
        "sweep-stale-checkouts": {
            "task": "shop.payments.tasks.sweep_stale_checkouts",
            "schedule": 600.0,
        },
        "resend-stranded-emails": {
            "task": "shop.emails.tasks.resend_stranded_emails",
            "schedule": float(config["EMAIL_SWEEP_SECONDS"]),
        },
        "reconcile-with-stripe": {
            "task": "shop.payments.tasks.reconcile_with_stripe",
            "schedule": 86400.0,
        },
    }


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def enqueue(task, *args) -> None:
    """Send `task(*args)` to the worker once the current transaction commits.

    Tests may set TASKS_CAPTURE to a list: the calls are collected there instead and the test
    runs them when it chooses, as the worker would, without an eager Celery.
    """
    capture = current_app.config.get("TASKS_CAPTURE")
    if capture is not None:
        after_commit(db.session(), lambda: capture.append((task, args)))
        return
    after_commit(db.session(), lambda: _send(task, args))


def enqueue_now(task, *args, queue: str | None = None) -> None:
    """Send `task(*args)` at once, for work that needs no transaction to finish first (to `queue`,
    or the default one). TASKS_CAPTURE collects it, as `enqueue` does."""
    capture = current_app.config.get("TASKS_CAPTURE")
    if capture is not None:
        capture.append((task, args))
        return
    _send(task, args, queue)


def _send(task, args, queue: str | None = None) -> None:
    """Hand the task to the broker; a broker that is down must not fail what already committed.

    The work is in the database (an email row still `queued`): the beat sweep
    `resend_stranded_emails` sends it again once the broker is back.
    """
    try:
        task.apply_async(args, queue=queue)
    except Exception:  # noqa: BLE001 - kombu/redis errors vary by transport; the sweep recovers
        current_app.logger.exception("Broker unreachable: %s%s left for the sweep", task.name, args)
