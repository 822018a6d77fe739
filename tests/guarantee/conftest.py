"""Fixtures for guarantee tests: a delivered order, a filed claim, staff headers."""
from datetime import timedelta

import pytest

from shop.db import utcnow
from shop.orders.models import DELIVERED


@pytest.fixture
def delivered_order(make_order, mag_rr):
    """Returns a factory: a delivered order of Mag R&R (guarantee 60 days), delivered `days_ago`."""

    def make(days_ago=10, **kwargs):
        return make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=days_ago), **kwargs)

    return make


@pytest.fixture
def file_claim(client):
    def post(order, token, reason="It did not help me sleep.", **extra):
        return client.post(f"/api/v1/orders/{order.id}/claims", json={"reason": reason, **extra},
                           headers={"X-Order-Token": token})

    return post


@pytest.fixture
def open_claim(delivered_order, file_claim):
    """An order with an open claim: (order, claim id)."""
    order, token = delivered_order()
    response = file_claim(order, token)
    assert response.status_code == 201, response.get_json()
    return order, response.get_json()["id"]


@pytest.fixture
def staff_member(make_staff):
    """(staff, Authorization headers) for a fresh staff member of `role` (example.com addresses:
    the email validator refuses the reserved .test domain)."""
    counter = iter(range(1, 1_000_000))

    def make(role="support"):
        staff, token = make_staff(role, email=f"{role}.{next(counter)}@example.com")
        return staff, {"Authorization": f"Bearer {token}"}

    return make


from tests.stripe_fixtures import *  # noqa: E402,F401,F403  stripe_standin, stripe_app, stripe_client, paid_at_stripe


@pytest.fixture
def settled(stripe_standin):
    """Wait until every webhook the stand-in has sent so far is delivered (or given up)."""

    def wait():
        stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)

    return wait


@pytest.fixture
def claim_at_stripe(delivered_order, paid_at_stripe, file_claim):
    """A delivered order paid at the stand-in, with an open claim: (order, claim id)."""

    def make(**order_kwargs):
        order, token = delivered_order(**order_kwargs)
        paid_at_stripe(order)
        response = file_claim(order, token)
        assert response.status_code == 201, response.get_json()
        return order, response.get_json()["id"]

    return make
