"""An email's hand-off to SMTP and its result are committed apart; its Message-ID is its own for
life; a database outage is retried like an SMTP failure."""
import pytest
from celery.exceptions import Retry
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from shop.emails.models import QUEUED, SENDING, SENT, EmailMessage
from shop.emails.services import EmailSpec, queue_email, queue_emails
from shop.emails.tasks import send_email, send_emails
from shop.extensions import db
from tests.smtp_server import Inbox, SmtpServer, smtp_config


class WatchingInbox(Inbox):
    """Reads the email log from its own connection while it holds each message before its 250."""

    def __init__(self, engine):
        super().__init__()
        self.engine, self.seen = engine, []

    async def handle_DATA(self, server, session, envelope):
        with self.engine.connect() as conn:
            self.seen.append(conn.execute(select(
                EmailMessage.status, EmailMessage.attempts, EmailMessage.claimed_until)
                .order_by(EmailMessage.id)).first())
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def watched(make_app):
    """An app sending to an SMTP server that watches the email log; yields (app, server)."""
    server = SmtpServer()
    server.start()
    app = make_app(**smtp_config(server))
    with app.app_context():
        server.stop()
        server.inbox = WatchingInbox(db.engine)
        server.start()
        yield app, server
    server.stop()


def _queue(to="buyer@example.com") -> int:
    order = type("O", (), {"id": 7, "items": []})()
    message_id = queue_email("order_shipped", to, context={"order": order, "carrier": "UPS", "tracking_number": "1Z"})
    db.session.commit()
    return message_id


def _as_worker(email_id):
    """`send_email` run as the worker runs it (not called directly: a retry raises Retry)."""
    send_email.push_request(id="attempt", args=(email_id,), kwargs={}, retries=0, is_eager=False,
                            called_directly=False)
    try:
        return send_email.run(email_id)
    finally:
        send_email.pop_request()


def _row(email_id) -> EmailMessage:
    row = db.session.get(EmailMessage, email_id)
    db.session.refresh(row)
    return row


def test_the_hand_off_is_committed_before_the_smtp_conversation(watched):
    # given a queued email
    app, server = watched
    email_id = _queue()
    # when the worker sends it
    assert send_email.run(email_id) is True
    # then, while SMTP held the message, anyone could read that it was being sent (no
    # transaction held open across the conversation), with a lease on it
    [(status, attempts, claimed_until)] = server.inbox.seen
    assert (status, attempts) == (SENDING, 1) and claimed_until is not None
    # and afterwards it is sent, its lease released
    row = _row(email_id)
    assert (row.status, row.claimed_until) == (SENT, None)


def test_an_email_has_one_message_id_from_queueing_through_every_attempt(watched):
    # given a queued email: its Message-ID is already on the log
    app, server = watched
    email_id = _queue()
    queued_as = _row(email_id).message_id
    assert queued_as.startswith("<") and queued_as.endswith("@shop.test>")
    # when the first attempt meets a dead server and the retry succeeds
    server.stop()
    with pytest.raises(Retry):
        _as_worker(email_id)
    assert _row(email_id).status == QUEUED
    server.start()
    assert send_email.run(email_id) is True
    # then the message went out under the Message-ID it was queued with
    [received] = server.messages
    assert received["Message-ID"] == queued_as == _row(email_id).message_id
    # and another email has another one
    assert _row(_queue("other@example.com")).message_id != queued_as


def _database_away(*args, **kwargs):
    raise OperationalError("UPDATE email_messages ...", {}, Exception("server closed the connection unexpectedly"))


def test_a_database_outage_is_retried_after_a_back_off(watched, monkeypatch):
    # given a queued email, and a database that drops the connection
    app, server = watched
    email_id = _queue()
    monkeypatch.setattr("shop.emails.tasks.deliver", _database_away)
    monkeypatch.setattr("celery.utils.time.random.randrange", lambda stop: 0)
    # when the send task runs
    with pytest.raises(Retry) as retry:
        _as_worker(email_id)
    # then it asks for a retry (not a failed task), at least a second later
    assert retry.value.when >= 1


def test_a_database_outage_in_a_batch_hands_the_rest_to_retrying_tasks(watched, monkeypatch):
    # given three emails queued as one batch, and a database that drops at the second
    app, server = watched
    order = type("O", (), {"id": 9, "items": []})()
    ids = [m.id for m in queue_emails([EmailSpec("order_shipped", f"b{n}@example.com", {
        "order": order, "carrier": "UPS", "tracking_number": "T"}) for n in range(3)], one_task=True)]
    db.session.commit()
    from shop.emails import tasks

    real_deliver = tasks.deliver
    monkeypatch.setattr(tasks, "deliver", lambda email_id: _database_away() if email_id == ids[1] else real_deliver(email_id))
    handed_off = []
    monkeypatch.setattr(send_email, "apply_async", lambda args, countdown: handed_off.append((args, countdown)))
    # when the batch runs
    assert send_emails.run(ids) == 1
    # then the first went out, and the second and third each became a retrying task, after a pause
    assert len(server.messages) == 1
    assert [args for args, _ in handed_off] == [(ids[1],), (ids[2],)]
    assert all(countdown >= 1 for _, countdown in handed_off)


def test_an_email_in_flight_when_its_address_is_erased_is_never_sent_again(app):
    from datetime import timedelta

    from sqlalchemy import update

    from shop.customers.services import erase_customer_data
    from shop.db import utcnow
    from shop.emails.models import FAILED
    from shop.emails.sweeper import resend_stranded

    # given an email whose worker died mid-send (its lease lapsed)
    email_id = _queue("leaving@example.com")
    db.session.execute(update(EmailMessage).values(status=SENDING, attempts=1,
                                                   claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    # when the customer's data is erased, and the sweep runs
    erase_customer_data("leaving@example.com")
    db.session.commit()
    app.config["TASKS_CAPTURE"].clear()
    resend_stranded()
    # then the email is failed, not handed to a worker again
    assert _row(email_id).status == FAILED and app.config["TASKS_CAPTURE"] == []
