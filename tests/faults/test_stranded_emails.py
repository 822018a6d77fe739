"""The sweep for emails no task carries: which rows it picks, and that it never sends twice."""
from datetime import timedelta

from sqlalchemy import update

from shop.db import utcnow
from shop.emails.models import FAILED, QUEUED, SENT, EmailMessage
from shop.emails.services import queue_email
from shop.emails.sweeper import stranded_email_ids
from shop.emails.tasks import resend_stranded_emails
from shop.extensions import db


def _email(to, *, minutes_old, attempts=0, status=QUEUED) -> int:
    order = type("O", (), {"id": 7, "items": [type("I", (), {"quantity": 1, "name": "Mag R&R"})()]})()
    message_id = queue_email("order_shipped", to, context={"order": order, "carrier": "UPS", "tracking_number": "1Z"})
    db.session.execute(update(EmailMessage).where(EmailMessage.id == message_id).values(
        created_at=utcnow() - timedelta(minutes=minutes_old), attempts=attempts, status=status))
    return message_id


def test_only_rows_nothing_carries_are_picked(app, run_tasks):
    # given emails of every kind of age and state (their first tasks dropped: they were "lost")
    fresh = _email("fresh@example.com", minutes_old=2)
    never_tried = _email("never@example.com", minutes_old=11)
    retrying = _email("retrying@example.com", minutes_old=20, attempts=2)
    retry_lost = _email("lost@example.com", minutes_old=61, attempts=3)
    _email("sent@example.com", minutes_old=90, status=SENT)
    _email("failed@example.com", minutes_old=90, attempts=7, status=FAILED)
    db.session.commit()
    app.config["TASKS_CAPTURE"].clear()
    # when beat's sweep runs
    assert resend_stranded_emails.run() == 2
    # then it handed the worker the never-tried and the lost retry, nothing else
    captured = app.config["TASKS_CAPTURE"]
    assert sorted(args[0] for _, args in captured) == [never_tried, retry_lost]
    assert fresh not in stranded_email_ids() and retrying not in stranded_email_ids()


def test_a_row_sent_meanwhile_is_not_sent_again(app, run_tasks):
    # given a stranded email, swept twice (two beat runs before the worker got to it)
    message_id = _email("twice@example.com", minutes_old=15)
    db.session.commit()
    app.config["TASKS_CAPTURE"].clear()
    resend_stranded_emails.run()
    resend_stranded_emails.run()
    # when the worker runs both tasks
    assert run_tasks() == 2
    # then it was sent once (one attempt), and the next sweep finds nothing
    row = db.session.get(EmailMessage, message_id)
    db.session.refresh(row)
    assert (row.status, row.attempts) == (SENT, 1)
    assert resend_stranded_emails.run() == 0
