"""PostgreSQL restarted between the SMTP server's "250" and the commit that records it: the email
is recorded as sent once the database is back, never sent again; the rest of the batch follows.

Real processes: a private PostgreSQL cluster, a private redis-server, `celery -A worker worker`,
and an aiosmtpd server on loopback that restarts PostgreSQL while it holds a message.
"""
import threading

import pytest

from shop.emails.models import SENT
from shop.extensions import db
from tests.faults.conftest import arrivals, arrived_once_each, wait_for
from tests.faults.test_worker_and_mail import delivered_orders, email_log
from tests.smtp_server import Inbox, SmtpServer, smtp_config

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.redis]


class DatabaseRestartingInbox(Inbox):
    """At the `nth` message, stops PostgreSQL before it answers 250, and starts it a second later."""

    def __init__(self, postgres, nth: int):
        super().__init__()
        self.postgres, self.nth = postgres, nth
        self.restarted = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) + 1 == self.nth:
            self.postgres.stop()  # every connection is dropped; the worker's next commit fails
            threading.Timer(1.0, self._start_again).start()
        return await super().handle_DATA(server, session, envelope)

    def _start_again(self):
        self.postgres.start()
        self.restarted.set()


@pytest.fixture
def restarting_smtp(private_postgres):
    server = SmtpServer()
    server.inbox = DatabaseRestartingInbox(private_postgres, nth=3)
    server.start()
    yield server
    server.stop()


def test_postgresql_restarted_between_smtp_250_and_the_commit_sends_each_email_once(
        private_database, make_app, private_redis, queue, restarting_smtp, make_worker):
    # given 5 due follow-ups on a private PostgreSQL, a worker, and an SMTP server that restarts
    # PostgreSQL while it holds the third message
    app = make_app(SQLALCHEMY_DATABASE_URI=private_database, CELERY_BROKER_URL=private_redis.url,
                   CELERY_QUEUE=queue, TASKS_CAPTURE=None, EMAIL_CLAIM_LEASE_SECONDS=10,
                   EMAIL_SWEEP_SECONDS=1, **smtp_config(restarting_smtp))
    with app.app_context():
        delivered_orders(5)
        worker = make_worker(app)
        worker.start()
        # when the dispatch sends them, and PostgreSQL goes away between that message's 250 and
        # the commit that records it
        app.extensions["celery"].send_task("shop.followups.tasks.dispatch_due_followups", queue=queue)
        assert restarting_smtp.inbox.restarted.wait(60), worker.log()
        # then, the database back, every email is out within seconds, each once, all recorded sent
        assert wait_for(lambda: len(restarting_smtp.messages) >= 5, 30), worker.log()
        wait_for(lambda: False, 1.0)  # room for a duplicate to show up, if one were coming
        rows = email_log()
        assert len(rows) == 5 and {r.status for r in rows} == {SENT}, [(r.status, r.last_error) for r in rows]
        assert arrived_once_each(restarting_smtp, rows), arrivals(restarting_smtp)
        db.session.remove()
