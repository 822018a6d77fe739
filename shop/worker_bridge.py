"""Celery bound to the Flask app, and the one way the web side hands work to the worker.

Each task runs inside an app context (Flask's Celery pattern) and one unit of work
(`shop.unit_of_work.transaction`): what it did is committed when it returns and rolled back
when it raises. Work is enqueued only after the database transaction commits, so a rolled-back
request never leaves a task behind it. Celery's settings and beat schedule live in `worker/`.
"""
from celery import Celery, Task
from flask import Flask, current_app

from shop.db import after_commit
from shop.extensions import db
from shop.unit_of_work import transaction
from worker.config import celery_settings


def init_celery(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context(), transaction():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(celery_settings(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


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
