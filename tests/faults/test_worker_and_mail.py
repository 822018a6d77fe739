"""A worker killed mid-batch, an SMTP server that goes away, a broker down at commit: no email is
lost and none is sent twice.

Real processes: `celery -A worker worker` on a private redis-server, the test database, and an
aiosmtpd server on loopback. Emails are counted where they arrive, by the id of their log row
carried in the Message-ID, and in the email log.
"""
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.db import utcnow
from shop.emails.models import QUEUED, SENT, EmailMessage
from shop.extensions import db
from shop.followups.services import schedule_for_order
from shop.orders import states
from shop.orders.models import DELIVERED, PAID, SHIPPED, Order, OrderItem
from shop.orders.services import new_order_token
from tests.faults.conftest import wait_for
from tests.smtp_server import smtp_config

pytestmark = [pytest.mark.faults, pytest.mark.redis]

MESSAGE_ID = re.compile(r"email(\d+)@")


@pytest.fixture
def broker_app(make_app, private_redis, queue):
    """The shop on the private Redis: tasks really go to the broker (no capture)."""

    contexts = []

    def build(smtp):
        app = make_app(CELERY_BROKER_URL=private_redis.url, CELERY_QUEUE=queue, TASKS_CAPTURE=None,
                       **smtp_config(smtp))
        contexts.append(app.app_context())
        contexts[-1].push()
        return app

    yield build
    for context in reversed(contexts):
        db.session.remove()
        context.pop()


def _order(product, email: str) -> Order:
    order = Order(email=email, token_hash=new_order_token()[1], total=product.price)
    order.items.append(OrderItem(product_id=product.id, slug=product.slug, name=product.name,
                                 quantity=1, unit_price=product.price))
    db.session.add(order)
    db.session.flush()
    return order


def _product():
    product = build_product(DEMO_PRODUCTS[0])
    db.session.add(product)
    db.session.flush()
    return product


def delivered_orders(count: int, days_ago: int = 8) -> list[Order]:
    """`count` orders of Mag R&R delivered `days_ago`, their follow-ups scheduled (day 7 is due).

    (Built in the broker app's context: the shared factories bring an app of their own.)
    """
    product = _product()
    delivered_at = utcnow() - timedelta(days=days_ago)
    orders = []
    for number in range(count):
        order = _order(product, f"sleeper{number}@example.com")
        states.transition(order, PAID, actor="stripe", at=delivered_at - timedelta(days=5))
        states.transition(order, SHIPPED, actor="system", at=delivered_at - timedelta(days=2))
        states.transition(order, DELIVERED, actor="system", at=delivered_at)
        schedule_for_order(order)
        orders.append(order)
    db.session.commit()
    return orders


def arrivals(smtp) -> Counter:
    """How many times each logged email arrived at the SMTP server."""
    return Counter(int(MESSAGE_ID.search(m["Message-ID"]).group(1)) for m in list(smtp.messages))


def email_log() -> list[EmailMessage]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(EmailMessage).order_by(EmailMessage.id)))
    db.session.rollback()
    return rows


def test_a_worker_killed_mid_batch_sends_every_followup_exactly_once(broker_app, slow_smtp, make_worker):
    # given 30 due follow-ups, an SMTP server taking 0.2 s per message, and a worker whose
    # unacknowledged tasks the broker hands out again after 1 s
    app = broker_app(slow_smtp)
    delivered_orders(30)
    worker = make_worker(app, CELERY_VISIBILITY_TIMEOUT=1)
    worker.start()
    # when beat's dispatch runs and the worker is killed (-9) while it sends the batch
    app.extensions["celery"].send_task("shop.followups.tasks.dispatch_due_followups", queue=app.config["CELERY_QUEUE"])
    assert wait_for(lambda: len(slow_smtp.messages) >= 8, 60), worker.log()
    wait_for(lambda: False, 0.1)  # halfway through the next message's SMTP conversation
    worker.kill()
    sent_before_kill = len(slow_smtp.messages)
    assert sent_before_kill < 30, "the kill should land in the middle of the batch"
    # and a new worker starts once the broker may hand the batch out again
    wait_for(lambda: False, 1.5)
    worker = make_worker(app, CELERY_VISIBILITY_TIMEOUT=1)
    worker.start()
    # then every follow-up arrives, each exactly once, and the log says each was sent once
    assert wait_for(lambda: len(arrivals(slow_smtp)) == 30, 60), worker.log()
    wait_for(lambda: False, 1.0)  # room for a duplicate to show up, if one were coming
    counts = arrivals(slow_smtp)
    assert set(counts.values()) == {1} and len(slow_smtp.messages) == 30
    rows = email_log()
    assert len(rows) == 30 and {r.status for r in rows} == {SENT}
    assert set(counts) == {r.id for r in rows}
    assert sorted(r.to for r in rows) == sorted(f"sleeper{n}@example.com" for n in range(30))


def test_smtp_down_for_a_while_every_email_is_delivered_after_it_returns(broker_app, slow_smtp, make_worker):
    # given 5 due follow-ups, a worker retrying failed sends after 1 s (doubling), and an SMTP
    # server that is down
    slow_smtp.inbox.delay = 0
    app = broker_app(slow_smtp)
    delivered_orders(5)
    slow_smtp.stop()
    worker = make_worker(app, EMAIL_RETRY_BACKOFF_SECONDS=1)
    worker.start()
    # when the dispatch runs while the server is down
    app.extensions["celery"].send_task("shop.followups.tasks.dispatch_due_followups", queue=app.config["CELERY_QUEUE"])
    assert wait_for(lambda: _all_failed_once(email_log(), 5), 30), worker.log()
    rows = email_log()
    assert {r.status for r in rows} == {QUEUED} and not slow_smtp.messages
    assert all("Connection refused" in r.last_error for r in rows)
    # and the server comes back on the same port
    slow_smtp.start()
    # then every email is delivered, once, by the retries
    assert wait_for(lambda: len(arrivals(slow_smtp)) == 5, 45), worker.log()
    wait_for(lambda: False, 0.5)
    assert set(arrivals(slow_smtp).values()) == {1}
    rows = email_log()
    assert {r.status for r in rows} == {SENT} and all(r.attempts >= 2 for r in rows)


def _all_failed_once(rows, count) -> bool:
    return len(rows) == count and all(r.last_error for r in rows)


def test_an_email_committed_while_the_broker_is_down_is_sent_by_the_sweep(
        broker_app, slow_smtp, private_redis, make_worker):
    # given a paid order, and the broker down
    from shop.accounts.services import create_staff, issue_token

    slow_smtp.inbox.delay = 0
    app = broker_app(slow_smtp)
    order = _order(_product(), "waiting@example.com")
    states.transition(order, PAID, actor="stripe")
    headers = {"Authorization": f"Bearer {issue_token(create_staff('packer@example.com', 'fulfilment'))}"}
    db.session.commit()
    private_redis.stop()
    # when staff ship it (the shipped email is committed, its task cannot reach the broker)
    response = app.test_client().post(f"/api/v1/admin/orders/{order.id}/ship", headers=headers,
                                      json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    # then the shipment is recorded (no 500 for what committed) and the email waits in the log
    assert response.status_code == 200, response.get_json()
    [row] = email_log()
    assert (row.kind, row.status, row.attempts) == ("order_shipped", QUEUED, 0)
    # when the broker is back and, ten minutes on, beat's sweep runs
    private_redis.start()
    db.session.execute(update(EmailMessage).values(created_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    worker = make_worker(app)
    worker.start()
    app.extensions["celery"].send_task("shop.emails.tasks.resend_stranded_emails", queue=app.config["CELERY_QUEUE"])
    # then the email arrives, once
    assert wait_for(lambda: len(slow_smtp.messages) == 1, 30), worker.log()
    [message] = slow_smtp.messages
    assert message["To"] == "waiting@example.com" and "1Z999AA10123456784" in message.get_body(("plain",)).get_content()
    # and a second sweep finds nothing stranded
    app.extensions["celery"].send_task("shop.emails.tasks.resend_stranded_emails", queue=app.config["CELERY_QUEUE"])
    wait_for(lambda: False, 1.0)
    assert len(slow_smtp.messages) == 1 and email_log()[0].status == SENT
