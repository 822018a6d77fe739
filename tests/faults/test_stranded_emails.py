"""The sweep for emails no task carries: which rows it picks, and that it never sends twice."""
from datetime import timedelta

from sqlalchemy import update

from shop.db import utcnow
from shop.emails.models import FAILED, MAX_ATTEMPTS, QUEUED, SENDING, SENT, EmailMessage
from shop.emails.services import queue_email
from shop.emails.sweeper import stranded_email_ids
from shop.emails.tasks import resend_stranded_emails
from shop.extensions import db


def _email(to, *, claim_lapsed_minutes_ago, attempts=0, status=QUEUED) -> int:
    """A logged email whose holder (task or worker) had it until so many minutes ago (negative:
    still has it for that long)."""
    order = type("O", (), {"id": 7, "items": [type("I", (), {"quantity": 1, "name": "Mag R&R"})()]})()
    message_id = queue_email("order_shipped", to, context={"order": order, "carrier": "UPS", "tracking_number": "1Z"})
    db.session.execute(update(EmailMessage).where(EmailMessage.id == message_id).values(
        claimed_until=utcnow() - timedelta(minutes=claim_lapsed_minutes_ago), attempts=attempts, status=status))
    return message_id


def _row(message_id) -> EmailMessage:
    row = db.session.get(EmailMessage, message_id)
    db.session.refresh(row)
    return row


def test_only_rows_whose_holder_is_out_of_time_are_picked(app, run_tasks):
    # given emails in every state (their first tasks dropped: they were "lost")
    fresh = _email("fresh@example.com", claim_lapsed_minutes_ago=-1)
    task_lost = _email("never@example.com", claim_lapsed_minutes_ago=1)
    retry_due_later = _email("retrying@example.com", claim_lapsed_minutes_ago=-5, attempts=2)
    retry_lost = _email("lost@example.com", claim_lapsed_minutes_ago=1, attempts=3)
    sending = _email("sending@example.com", claim_lapsed_minutes_ago=-1, attempts=1, status=SENDING)
    worker_died = _email("died@example.com", claim_lapsed_minutes_ago=1, attempts=1, status=SENDING)
    _email("sent@example.com", claim_lapsed_minutes_ago=90, status=SENT)
    _email("failed@example.com", claim_lapsed_minutes_ago=90, attempts=MAX_ATTEMPTS, status=FAILED)
    db.session.commit()
    app.config["TASKS_CAPTURE"].clear()
    # when beat's sweep runs
    assert resend_stranded_emails.run() == 3
    # then it handed the worker the lost task's, the lost retry's and the dead worker's emails
    captured = app.config["TASKS_CAPTURE"]
    assert sorted(args[0] for _, args in captured) == [task_lost, retry_lost, worker_died]
    # the dead worker's email waits again (the lease lapsed), each with a new lease to be claimed in
    assert (_row(worker_died).status, _row(worker_died).attempts) == (QUEUED, 1)
    assert not set(stranded_email_ids()) & {fresh, retry_due_later, sending, task_lost, retry_lost, worker_died}


def test_a_row_sent_meanwhile_is_not_sent_again(app, run_tasks):
    # given a stranded email, swept twice (two beat runs before the worker got to it)
    message_id = _email("twice@example.com", claim_lapsed_minutes_ago=1)
    db.session.commit()
    app.config["TASKS_CAPTURE"].clear()
    resend_stranded_emails.run()
    db.session.execute(update(EmailMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    resend_stranded_emails.run()
    # when the worker runs both tasks
    assert run_tasks() == 2
    # then it was sent once (one attempt), and the next sweep finds nothing
    row = _row(message_id)
    assert (row.status, row.attempts) == (SENT, 1)
    assert resend_stranded_emails.run() == 0


def test_an_email_whose_every_attempt_lost_its_worker_is_failed_not_tried_forever(app, run_tasks):
    # given an email whose last allowed attempt's worker died too
    message_id = _email("poison@example.com", claim_lapsed_minutes_ago=1, attempts=MAX_ATTEMPTS, status=SENDING)
    db.session.commit()
    app.config["TASKS_CAPTURE"].clear()
    # when the sweep runs
    assert resend_stranded_emails.run() == 0
    # then it is failed, for staff to look at, and no task was sent
    row = _row(message_id)
    assert row.status == FAILED and "attempts" in row.last_error
    assert app.config["TASKS_CAPTURE"] == []
