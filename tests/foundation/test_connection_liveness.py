"""A PostgreSQL that drops the pool's connections (a restart, a crash) costs a reconnect, not a 500.

The pool looks at a connection as it checks it out (`shop.db`) and replaces one the server
closed; terminating the backends is what a restart does to them.
"""
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from shop.extensions import db
from shop.orders.models import Order
from shop.orders.services import new_order_token

pytestmark = pytest.mark.postgres


def _terminate_other_backends(database_url: str) -> int:
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        # Like a restart that completed: the old backends have exited (and closed their sockets).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar():
            time.sleep(0.05)
    admin.dispose()
    return killed


def test_requests_after_the_server_dropped_every_connection_succeed(make_app):
    # given an order whose page reads the database, served a few times from pooled connections
    # (no app context is held open: each request checks a connection out and returns it)
    app = make_app()
    with app.app_context():
        token, digest = new_order_token()
        order = Order(email="buyer@example.com", token_hash=digest, total=1000, currency="usd")
        db.session.add(order)
        db.session.commit()
        order_id = order.id
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"/api/v1/orders/{order_id}", headers={"X-Order-Token": token}).status_code == 200

    # when the server ends every connection the pool holds
    assert _terminate_other_backends(app.config["SQLALCHEMY_DATABASE_URI"]) >= 1

    # then the next requests reconnect and answer normally
    for _ in range(5):
        assert client.get(f"/api/v1/orders/{order_id}", headers={"X-Order-Token": token}).status_code == 200
