"""The beat task: one dispatch pass every minute (the schedule is in worker/schedule.py)."""
from datetime import datetime

from celery import shared_task
from flask import current_app

from shop.db import is_postgres
from shop.extensions import db
from shop.followups.dispatch import dispatch_due_followups as dispatch
from shop.worker_bridge import enqueue_now


@shared_task(bind=True, name="shop.followups.tasks.dispatch_due_followups", ignore_result=True)
def dispatch_due_followups(self, now: str | None = None, helper: bool = False) -> int:
    """Idempotent by construction: only rows still `scheduled` and due are claimed.

    A backlog (more due than one batch, after an outage or a busy delivery day) is shared: on
    PostgreSQL the pass asks DISPATCH_HELPERS more worker processes to join it, each taking
    batches of its own (FOR UPDATE SKIP LOCKED keeps them disjoint) up to the same `now`, so a
    worker with several processes clears it on every core. Helpers ask no one further; they go to
    the queue this task came from.
    """
    helpers = 0 if helper or not is_postgres(db.session) else current_app.config["DISPATCH_HELPERS"]

    def call_helpers(moment: datetime) -> None:
        queue = (self.request.delivery_info or {}).get("routing_key")
        for _ in range(helpers):
            enqueue_now(dispatch_due_followups, moment.isoformat(), True, queue=queue)

    moment = datetime.fromisoformat(now) if now else None
    return dispatch(moment, batch_size=current_app.config["DISPATCH_BATCH_SIZE"],
                    on_backlog=call_helpers if helpers else None).handled
