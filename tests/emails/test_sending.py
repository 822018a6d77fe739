"""Sending logged emails over real SMTP (aiosmtpd on loopback), retries, and the outbox."""
import threading

import pytest
from celery.exceptions import Retry
from sqlalchemy import select, update

from shop.emails.models import FAILED, MARKETING, MAX_ATTEMPTS, QUEUED, SENT, EmailMessage
from shop.emails.services import queue_email, resend_email, suppress_marketing
from shop.emails.sending import RETRY_BACKOFF_MAX, retry_delay
from shop.emails.tasks import send_email
from shop.extensions import db
from tests.smtp_server import smtp_config


@pytest.fixture
def smtp_app(make_app, smtp_server):
    app = make_app(**smtp_config(smtp_server))
    with app.app_context():
        yield app


def _queue_shipped(product_name="Mag R&R"):
    """A real template of ours, with just enough context."""
    order = type("O", (), {"id": 7, "items": [type("I", (), {"quantity": 1, "name": product_name})()]})()
    message_id = queue_email("order_shipped", "buyer@example.com", dedupe_key="shipped:7",
                             context={"order": order, "carrier": "UPS", "tracking_number": "1Z999"})
    db.session.commit()
    return message_id


def _run_attempt(message_id, retries):
    """One delivery of the task as the worker would run it on its `retries`-th retry."""
    send_email.push_request(id=f"attempt-{retries}", args=(message_id,), kwargs={}, retries=retries,
                           is_eager=False, called_directly=False)
    try:
        return send_email.run(message_id)
    finally:
        send_email.pop_request()


def _run_captured(app) -> int:
    """Run the tasks `app` enqueued after commit, as its worker would."""
    captured = app.config["TASKS_CAPTURE"]
    count = 0
    while captured:
        task, args = captured.pop(0)
        task.run(*args)
        count += 1
    return count


def test_queued_email_is_sent_over_smtp_with_text_and_html(smtp_app, smtp_server):
    # given an email queued in a committed transaction
    message_id = _queue_shipped()
    # when the worker runs the send task
    assert _run_captured(smtp_app) == 1
    # then the SMTP server received it, and the log says so
    [received] = smtp_server.messages
    assert received["To"] == "buyer@example.com"
    assert "1Z999" in received["Subject"]
    assert received.get_body(("plain",)).get_content().count("Tracking number: 1Z999") == 1
    assert "<strong>1Z999</strong>" in received.get_body(("html",)).get_content()
    assert received["List-Unsubscribe"] is None  # transactional mail carries none
    row = db.session.get(EmailMessage, message_id)
    assert row.status == SENT and row.sent_at is not None and row.attempts == 1
    assert row.message_id == received["Message-ID"]


def test_a_task_delivered_twice_sends_once(smtp_app, smtp_server):
    # given a queued email
    message_id = _queue_shipped()
    # when the broker delivers its task twice
    assert send_email.run(message_id) is True
    assert send_email.run(message_id) is False
    # then one message went out
    assert len(smtp_server.messages) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(smtp_app, run_tasks):
    # given an email queued in a transaction that is then rolled back
    _queue = queue_email("order_shipped", "a@example.com", context={
        "order": type("O", (), {"id": 1, "items": []})(), "carrier": "UPS", "tracking_number": "X"})
    db.session.rollback()
    # then no task left the process
    assert run_tasks() == 0
    assert db.session.scalar(select(EmailMessage.id)) is None


def test_smtp_down_is_retried_with_backoff_then_sent_when_it_returns(smtp_app, smtp_server):
    # given a queued email and an SMTP server that is down
    message_id = _queue_shipped()
    smtp_server.stop()
    # when the first attempt runs, it asks Celery for a retry later
    with pytest.raises(Retry) as retry:
        _run_attempt(message_id, retries=0)
    assert retry.value.when > 0  # a countdown: exponential back-off with jitter
    row = db.session.get(EmailMessage, message_id)
    db.session.refresh(row)
    assert (row.status, row.attempts) == (QUEUED, 1)
    assert "Connection" in row.last_error
    # and a second attempt, still down, too
    with pytest.raises(Retry):
        _run_attempt(message_id, retries=1)
    # when the server is back and the retry runs
    smtp_server.start()
    assert _run_attempt(message_id, retries=2) is True
    # then it was sent, once, and the log shows three attempts
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == (SENT, 3, None)
    assert len(smtp_server.messages) == 1


def test_backoff_grows_exponentially_and_is_bounded(smtp_app, monkeypatch):
    # given a jitter that draws the longest wait
    monkeypatch.setattr("celery.utils.time.random.randrange", lambda stop: stop - 1)
    # then the waits double from 30 s and stop at four minutes (an email is out within five
    # minutes of its SMTP server's return)
    assert [retry_delay(attempt) for attempt in range(1, 8)] == [30, 60, 120, 240, 240, 240, 240]
    assert RETRY_BACKOFF_MAX == 240


def test_a_retry_waits_at_least_a_second_when_the_jitter_draws_zero(smtp_app, smtp_server, monkeypatch):
    # given an SMTP server that is down and a jitter that draws the shortest wait
    monkeypatch.setattr("celery.utils.time.random.randrange", lambda stop: 0)
    message_id = _queue_shipped()
    smtp_server.stop()
    # when the first attempt fails
    with pytest.raises(Retry) as retry:
        _run_attempt(message_id, retries=0)
    # then the retry still waits, rather than finding the server down again at once
    assert retry.value.when >= 1


def test_after_the_last_try_the_row_is_failed_and_staff_may_resend(smtp_app, smtp_server):
    # given an email whose every try but the last failed
    message_id = _queue_shipped()
    db.session.execute(update(EmailMessage).values(attempts=MAX_ATTEMPTS - 1))
    db.session.commit()
    smtp_server.stop()
    # when the last allowed try fails
    assert _run_attempt(message_id, retries=MAX_ATTEMPTS - 1) is False
    row = db.session.get(EmailMessage, message_id)
    db.session.refresh(row)
    # then the row is failed with the error, and nothing was sent
    assert row.status == FAILED and row.last_error
    # when staff resend it once SMTP works again
    smtp_server.start()
    resend_email(message_id)
    db.session.commit()
    assert _run_attempt(message_id, retries=0) is True
    db.session.refresh(row)
    assert row.status == SENT
    assert len(smtp_server.messages) == 1


def test_only_failed_emails_can_be_resent(smtp_app):
    from shop.errors import Conflict

    message_id = _queue_shipped()
    with pytest.raises(Conflict):
        resend_email(message_id)


def test_without_mail_server_the_outbox_keeps_the_email(app, run_tasks):
    # given no MAIL_SERVER (the development outbox)
    message_id = _queue_shipped()
    # when the task runs
    run_tasks()
    # then the row is the email, marked sent with a Message-ID
    row = db.session.get(EmailMessage, message_id)
    assert row.status == SENT and row.message_id.startswith("<")


def test_marketing_mail_to_a_suppressed_address_is_not_queued(app):
    suppress_marketing("Buyer@Example.com")
    order = type("O", (), {"id": 1, "items": []})()
    assert queue_email("order_shipped", "buyer@example.com", category=MARKETING, context={
        "order": order, "carrier": "UPS", "tracking_number": "X"}) is None


def test_dedupe_key_queues_an_email_once(app):
    _queue_shipped()
    order = type("O", (), {"id": 7, "items": []})()
    assert queue_email("order_shipped", "buyer@example.com", dedupe_key="shipped:7",
                       context={"order": order, "carrier": "UPS", "tracking_number": "1Z999"}) is None


@pytest.mark.postgres
def test_the_same_email_queued_by_two_transactions_at_once_is_logged_once(app):
    # given one transaction that has queued an email and not yet committed
    first = _shipped_to_order_7()
    db.session.flush()
    # when another transaction queues the same email meanwhile (it waits for the first)
    answers = []

    def second_transaction():
        with app.app_context():
            answers.append(_shipped_to_order_7())
            db.session.commit()
            db.session.remove()

    other = threading.Thread(target=second_transaction)
    other.start()
    other.join(0.5)
    db.session.commit()
    other.join(10)
    # then the second call is told it was already queued, fails nothing, and one row exists
    assert first is not None and answers == [None]
    assert db.session.scalars(select(EmailMessage.id).where(EmailMessage.dedupe_key == "shipped:7")).all() == [first]


def _shipped_to_order_7():
    order = type("O", (), {"id": 7, "items": []})()
    return queue_email("order_shipped", "buyer@example.com", dedupe_key="shipped:7",
                       context={"order": order, "carrier": "UPS", "tracking_number": "1Z999"})


def test_a_batch_task_sends_each_once_and_hands_failures_to_retrying_tasks(smtp_app, smtp_server):
    from shop.emails.services import EmailSpec, queue_emails
    from shop.emails.tasks import send_emails

    # given three emails queued as one batch
    order = type("O", (), {"id": 9, "items": []})()
    specs = [EmailSpec("order_shipped", f"b{n}@example.com", {"order": order, "carrier": "UPS",
                                                              "tracking_number": f"T{n}"}) for n in range(3)]
    ids = [m.id for m in queue_emails(specs, one_task=True)]
    db.session.commit()
    assert [task.name for task, _ in smtp_app.config["TASKS_CAPTURE"]] == ["shop.emails.tasks.send_emails"]
    # when the batch runs twice (a redelivery), everything goes out once
    assert send_emails.run(ids) == 3
    assert send_emails.run(ids) == 0
    assert len(smtp_server.messages) == 3


def test_a_batch_stops_at_the_first_smtp_failure_and_retries_each_later(smtp_app, smtp_server, monkeypatch):
    from shop.emails.services import EmailSpec, queue_emails
    from shop.emails.tasks import send_email, send_emails

    order = type("O", (), {"id": 9, "items": []})()
    ids = [m.id for m in queue_emails([EmailSpec("order_shipped", f"c{n}@example.com", {
        "order": order, "carrier": "UPS", "tracking_number": "T"}) for n in range(3)], one_task=True)]
    db.session.commit()
    smtp_server.stop()
    handed_off = []
    monkeypatch.setattr(send_email, "apply_async", lambda args, countdown: handed_off.append((args, countdown)))
    # when the batch meets a dead server
    assert send_emails.run(ids) == 0
    # then each email becomes its own retrying task, after a pause of the first back-off
    assert [args for args, _ in handed_off] == [(i,) for i in ids]
    assert len({countdown for _, countdown in handed_off}) == 1 and 1 <= handed_off[0][1] <= 30
    first = db.session.get(EmailMessage, ids[0])
    db.session.refresh(first)
    assert first.status == QUEUED and first.attempts == 1
