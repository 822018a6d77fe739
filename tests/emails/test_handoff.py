"""Emails queued by requests reach the worker batched: one task per moment of a process.

Real publishes to the in-memory broker (no TASKS_CAPTURE), read back as the worker would get
them, then run: each email goes out once.
"""
import logging
import secrets

import pytest
from flask import abort
from sqlalchemy import select

from shop.emails import tasks as email_tasks
from shop.emails.handoff import HandOff
from shop.emails.models import QUEUED, SENT, EmailMessage
from shop.emails.services import queue_email
from shop.extensions import db


@pytest.fixture
def web(make_app):
    """The shop publishing for real, on a queue of its own (the in-memory broker is per process)."""
    app = make_app(TASKS_CAPTURE=None, CELERY_QUEUE=f"handoff-{secrets.token_hex(4)}")

    @app.post("/_test/email/<to>")
    def email(to):
        return {"id": queue_email("account_sign_in", to, context=_context())}

    @app.post("/_test/email-then-refuse/<to>")
    def refused(to):
        queue_email("account_sign_in", to, context=_context())
        abort(400)

    return app


def _context() -> dict:
    return {"minutes": 15, "link": "http://shop.test/account/login/x", "email": "buyer@example.com"}


def _handoff(app, window: float) -> HandOff:
    """The app's hand-off, with a window long enough that the test, not the clock, decides."""
    handoff = app.extensions["email_handoff"] = HandOff(app.extensions["celery"], window=window)
    return handoff


def _tasks(app, wait: float = 2.0) -> list[tuple[str, list, dict]]:
    """Every task on the app's queue: (name, args, headers); waits up to `wait` s for the first."""
    celery_app = app.extensions["celery"]
    found = []
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue(celery_app.conf.task_default_queue)
        timeout = wait
        while True:
            try:
                message = queue.get(timeout=timeout)
            except queue.Empty:
                return found
            args, _kwargs, _embed = message.payload
            found.append((message.headers["task"], args, dict(message.headers)))
            message.ack()
            timeout = 0.2


def _run(app, name: str, args: list) -> None:
    module, _, task = name.rpartition(".")
    assert module == "shop.emails.tasks"
    with app.app_context():
        getattr(email_tasks, task).run(*args)
        db.session.remove()


def _statuses(app, ids) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(EmailMessage.status).where(EmailMessage.id.in_(ids))
                                       .order_by(EmailMessage.id)))


def test_emails_of_requests_within_a_moment_go_to_the_worker_as_one_task(web):
    handoff = _handoff(web, window=30)
    client = web.test_client()
    # given: three requests, each queuing an email, within the hand-off's window
    ids = [client.post(f"/_test/email/buyer{n}@example.com", headers={"X-Request-ID": f"trace-{n}"}).json["id"]
           for n in range(3)]
    assert _statuses(web, ids) == [QUEUED] * 3
    # when: the moment ends
    assert handoff.flush() == 1
    # then: one task carries the three, under the first request's id
    tasks = _tasks(web)
    assert [(name, args) for name, args, _ in tasks] == [("shop.emails.tasks.send_emails", [ids])]
    assert tasks[0][2]["request_id"] == "trace-0"
    # and the worker sends each once
    _run(web, *tasks[0][:2])
    _run(web, *tasks[0][:2])  # delivered twice by the broker: nothing goes twice
    assert _statuses(web, ids) == [SENT] * 3


def test_a_lone_email_goes_as_its_own_task_within_the_window(web):
    _handoff(web, window=0.01)
    # when
    email_id = web.test_client().post("/_test/email/alone@example.com", headers={"X-Request-ID": "trace-alone"}).json["id"]
    # then: the hand-off's thread sends it without anyone flushing
    tasks = _tasks(web, wait=5)
    assert [(name, args) for name, args, _ in tasks] == [("shop.emails.tasks.send_email", [email_id])]
    assert tasks[0][2]["request_id"] == "trace-alone"
    _run(web, *tasks[0][:2])
    assert _statuses(web, [email_id]) == [SENT]


def test_a_refused_request_hands_nothing_over(web):
    handoff = _handoff(web, window=30)
    # when
    response = web.test_client().post("/_test/email-then-refuse/nobody@example.com")
    # then: rolled back, so no email row and no task
    assert response.status_code == 400
    assert handoff.flush() == 0
    assert _tasks(web, wait=0.3) == []
    with web.app_context():
        assert db.session.scalars(select(EmailMessage)).all() == []


def test_a_broker_that_is_down_leaves_the_email_to_the_sweep(make_app, caplog):
    app = make_app(TASKS_CAPTURE=None, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    app.extensions["celery"].conf.broker_connection_max_retries = 0
    app.extensions["celery"].conf.task_publish_retry = False
    handoff = _handoff(app, window=30)

    @app.post("/_test/email")
    def email():
        return {"id": queue_email("account_sign_in", "down@example.com", context=_context())}

    # when: the request commits, and the hand-off cannot reach the broker
    response = app.test_client().post("/_test/email")
    with caplog.at_level(logging.ERROR, logger="shop.emails.handoff"):
        handoff.flush()
    # then: the customer's request succeeded; the email waits, queued with its lease, for the sweep
    assert response.status_code == 200
    assert "left for the sweep" in caplog.text
    with app.app_context():
        email = db.session.get(EmailMessage, response.json["id"])
        assert email.status == QUEUED and email.claimed_until is not None
