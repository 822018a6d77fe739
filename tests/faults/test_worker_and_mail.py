"""A worker killed mid-batch, an SMTP server that goes away, a broker down at commit or restarted:
every email goes out within seconds of recovery (leases and back-offs shortened), none twice.

Real processes: `celery -A worker worker` and `celery -A worker beat` on a private redis-server,
the test database, and an aiosmtpd server on loopback. Emails are counted where they arrive, by
Message-ID and by recipient and subject, and in the email log.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.db import utcnow
from shop.emails.models import QUEUED, SENT, EmailMessage
from shop.extensions import db
from shop.followups.services import schedule_for_order
from shop.orders import states
from shop.orders.models import DELIVERED, PAID, SHIPPED, Order, OrderItem
from shop.orders.services import new_order_token
from tests.faults.conftest import arrivals, arrived_once_each, wait_for
from tests.smtp_server import smtp_config

pytestmark = [pytest.mark.faults, pytest.mark.redis]

# A worker's hold on an email, and the sweep's period, shortened from minutes to seconds.
FAST_RECOVERY = {"EMAIL_CLAIM_LEASE_SECONDS": 3, "EMAIL_SWEEP_SECONDS": 1}


@pytest.fixture
def broker_app(make_app, private_redis, queue):
    """The shop on the private Redis: tasks really go to the broker (no capture); its worker and
    beat (make_worker) take its settings."""

    contexts = []

    def build(smtp):
        app = make_app(CELERY_BROKER_URL=private_redis.url, CELERY_QUEUE=queue, TASKS_CAPTURE=None,
                       **FAST_RECOVERY, **smtp_config(smtp))
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


def email_log() -> list[EmailMessage]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(EmailMessage).order_by(EmailMessage.id)))
    db.session.rollback()
    return rows


def test_a_worker_killed_mid_batch_sends_every_followup_exactly_once(broker_app, slow_smtp, make_worker):
    # given 30 due follow-ups, an SMTP server taking 0.2 s per message, beat, and a worker whose
    # claims last 3 s (Redis would hand its unacknowledged batch out again only after an hour)
    app = broker_app(slow_smtp)
    delivered_orders(30)
    make_worker(app, beat=True).start()
    worker = make_worker(app)
    worker.start()
    # when beat's dispatch runs and the worker is killed (-9) while it sends the batch
    app.extensions["celery"].send_task("shop.followups.tasks.dispatch_due_followups", queue=app.config["CELERY_QUEUE"])
    assert wait_for(lambda: len(slow_smtp.messages) >= 8, 60), worker.log()
    wait_for(lambda: False, 0.1)  # halfway through the next message's SMTP conversation
    worker.kill()
    sent_before_kill = len(slow_smtp.messages)
    assert sent_before_kill < 30, "the kill should land in the middle of the batch"
    # and a new worker starts
    worker = make_worker(app)
    worker.start()
    # then every follow-up arrives within seconds (the sweep takes back what the dead worker
    # held once its claims lapse), each exactly once, and the log says each was sent once
    assert wait_for(lambda: len(slow_smtp.messages) >= 30, 30), worker.log()
    wait_for(lambda: False, 1.0)  # room for a duplicate to show up, if one were coming
    rows = email_log()
    assert len(rows) == 30 and {r.status for r in rows} == {SENT}
    assert arrived_once_each(slow_smtp, rows), arrivals(slow_smtp)
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
    assert wait_for(lambda: len(slow_smtp.messages) >= 5, 45), worker.log()
    wait_for(lambda: False, 0.5)
    rows = email_log()
    assert {r.status for r in rows} == {SENT} and all(r.attempts >= 2 for r in rows)
    assert arrived_once_each(slow_smtp, rows), arrivals(slow_smtp)


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
    # when the broker is back, with beat and a worker
    private_redis.start()
    make_worker(app, beat=True).start()
    worker = make_worker(app)
    worker.start()
    # then beat's sweep hands the email to the worker within seconds, and it arrives, once
    assert wait_for(lambda: len(slow_smtp.messages) == 1, 30), worker.log()
    [message] = slow_smtp.messages
    assert message["To"] == "waiting@example.com" and "1Z999AA10123456784" in message.get_body(("plain",)).get_content()
    # and the sweeps that follow find nothing stranded
    wait_for(lambda: False, 2.0)
    assert len(slow_smtp.messages) == 1 and email_log()[0].status == SENT


def test_redis_restarted_while_retries_wait_every_email_still_goes_once(
        broker_app, slow_smtp, private_redis, make_worker):
    # given 5 due follow-ups, beat, a worker, and an SMTP server that is down
    slow_smtp.inbox.delay = 0
    app = broker_app(slow_smtp)
    delivered_orders(5)
    slow_smtp.stop()
    make_worker(app, beat=True, EMAIL_RETRY_BACKOFF_SECONDS=2).start()
    worker = make_worker(app, EMAIL_RETRY_BACKOFF_SECONDS=2)
    worker.start()
    app.extensions["celery"].send_task("shop.followups.tasks.dispatch_due_followups", queue=app.config["CELERY_QUEUE"])
    assert wait_for(lambda: _all_failed_once(email_log(), 5), 30), worker.log()
    # when Redis restarts (without persistence: the retries it held are gone) and SMTP is back
    private_redis.stop()
    private_redis.start()
    slow_smtp.start()
    # (a worker holding retries may exit on the lost connection, kombu 5.7's "Unrecoverable
    # error": its supervisor starts it again, as systemd or Docker's restart policy would)
    wait_for(lambda: len(slow_smtp.messages) >= 5 or worker.process.poll() is not None, 20)
    if worker.process.poll() is not None:
        worker = make_worker(app, EMAIL_RETRY_BACKOFF_SECONDS=2)
        worker.start()
    # then every email arrives within seconds, each once
    assert wait_for(lambda: len(slow_smtp.messages) >= 5, 30), worker.log()
    wait_for(lambda: False, 1.0)
    rows = email_log()
    assert {r.status for r in rows} == {SENT}
    assert arrived_once_each(slow_smtp, rows), arrivals(slow_smtp)
