"""A real worker process on Redis: deliver → dispatch → the email arrives over SMTP.

The worker is `celery -A worker worker` in a subprocess, on the test database (a file or a
PostgreSQL database it can open) and a queue of its own on TEST_REDIS_URL.
"""
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import SHIPPED
from tests.smtp_server import smtp_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.redis


@pytest.fixture
def queue():
    return f"test-{os.getpid()}-{secrets.token_hex(4)}"


@pytest.fixture
def worker_app(make_app, smtp_server, queue):
    app = make_app(CELERY_BROKER_URL=os.environ["TEST_REDIS_URL"], CELERY_QUEUE=queue, TASKS_CAPTURE=None,
                   **smtp_config(smtp_server))
    with app.app_context():
        yield app


@pytest.fixture
def worker_process(worker_app, smtp_server, queue, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": worker_app.config["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": os.environ["TEST_REDIS_URL"],
        "CELERY_QUEUE": queue,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_DEFAULT_SENDER": worker_app.config["MAIL_DEFAULT_SENDER"],
        "SECRET_KEY": worker_app.config["SECRET_KEY"],
        "PUBLIC_URL": worker_app.config["PUBLIC_URL"],
        "SHOP_INSTANCE_PATH": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "worker", "worker", "-Q", queue,
         "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()
    import redis

    redis.Redis.from_url(os.environ["TEST_REDIS_URL"]).delete(queue)


def _wait_for(condition, seconds=60):
    """Waits for the other process; returns as soon as the condition holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _shipped_order(email):
    """Mag R&R, paid and shipped (built here: the shared factories use an app of their own)."""
    from shop.catalog.demo import DEMO_PRODUCTS, build_product
    from shop.orders import states
    from shop.orders.models import Order, OrderItem
    from shop.orders.services import new_order_token

    product = build_product(DEMO_PRODUCTS[0])
    db.session.add(product)
    db.session.flush()
    order = Order(email=email, token_hash=new_order_token()[1], total=product.price)
    order.items.append(OrderItem(product_id=product.id, slug=product.slug, name=product.name,
                                 quantity=1, unit_price=product.price))
    db.session.add(order)
    db.session.flush()
    states.transition(order, "paid", actor="stripe")
    states.transition(order, SHIPPED, actor="system")
    db.session.commit()
    return order


def _fulfilment_headers():
    from shop.accounts.services import create_staff, issue_token

    staff = create_staff("packer@example.com", "fulfilment", password="correct horse battery")
    token = issue_token(staff)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_deliver_dispatch_and_the_email_arrives(worker_app, worker_process, smtp_server, queue, tmp_path):
    # given a shipped order, delivered (through the API) eight days ago
    order = _shipped_order("sleeper@example.com")
    delivered_at = (utcnow() - timedelta(days=8)).isoformat()
    response = worker_app.test_client().post(f"/api/v1/admin/orders/{order.id}/deliver",
                                             headers=_fulfilment_headers(),
                                             json={"delivered_at": delivered_at})
    assert response.status_code == 200
    # when beat's task reaches the worker
    worker_app.extensions["celery"].send_task("shop.followups.tasks.dispatch_due_followups", queue=queue)
    # then the worker dispatched day 7 (day 0 is stale) and sent it over SMTP
    arrived = _wait_for(lambda: smtp_server.messages)
    assert arrived, (tmp_path / "worker.log").read_text()[-3000:]
    [message] = smtp_server.messages
    assert message["To"] == "sleeper@example.com"
    assert "2 capsules (two)" in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    db.session.expire_all()
    from shop.followups.services import order_followups

    assert [f["status"] for f in order_followups(order)][:3] == ["skipped", "sent", "scheduled"]
