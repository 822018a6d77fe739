"""Fixtures for follow-up tests: delivered orders with their plan scheduled, a real SMTP server."""
from datetime import UTC, datetime

import pytest

from shop.extensions import db
from shop.fulfilment.services import deliver_order
from shop.orders.models import SHIPPED
from tests.smtp_server import smtp_server  # noqa: F401

# A Tuesday in May (EDT, UTC-4): 19:00 local is 23:00 UTC.
DELIVERED_AT = datetime(2026, 5, 5, 14, 0, tzinfo=UTC)


@pytest.fixture
def delivered(make_order):
    """Deliver a fresh order of `product` at `at` (default DELIVERED_AT); returns (order, token)."""

    def make(product, *, at=DELIVERED_AT, email="buyer@example.com", quantity=1):
        order, token = make_order(product, status=SHIPPED, email=email, quantity=quantity)
        deliver_order(order.id, delivered_at=at, actor="staff:test", now=at)
        db.session.commit()
        return order, token

    return make


def evening(day: int) -> datetime:
    """19:00 New York time on plan day `day` of an order delivered at DELIVERED_AT (no DST change)."""
    from datetime import timedelta

    return datetime(2026, 5, 5, 23, 0, tzinfo=UTC) + timedelta(days=day)
