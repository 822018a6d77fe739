"""Stripe answering 500s or too slowly: clean 502/503 answers, nothing held, retries that never
charge or refund twice.

The stand-in serves Stripe's API over HTTP on loopback and injects the faults; the shop calls
it through the official SDK (2 network retries, each with the same idempotency key).
"""
import pytest
from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db
from shop.guarantee.models import FAILED, Claim
from shop.orders.models import CANCELLED, PENDING_PAYMENT, Order
from shop.payments import reconcile
from tests.guarantee.conftest import (  # noqa: F401  the guarantee's fixtures, on the stand-in app
    claim_at_stripe, delivered_order, file_claim, paid_at_stripe, settled, staff_member,
)

pytestmark = pytest.mark.faults

CART = [{"slug": "mag-rr", "quantity": 2}]


@pytest.fixture
def app(stripe_app):
    """Every request and factory of these tests uses the app wired to the stand-in."""
    return stripe_app


@pytest.fixture
def product(make_product):
    return make_product(slug="mag-rr", stock=10)


def checkout(client):
    return client.post("/api/v1/checkout", json={"email": "buyer@example.com", "items": CART})


def stock_of(product) -> int:
    db.session.expire_all()
    return db.session.get(Product, product.id).stock


def orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(select(Order).order_by(Order.id)))


def sessions_at_stripe(stripe_client) -> list:
    return list(stripe_client.v1.checkout.sessions.list({"limit": 100}).auto_paging_iter())


def test_stripe_500s_past_the_retries_then_the_same_cart_succeeds(client, product, stripe_standin):
    # given Stripe answering 500 to the next three requests (the SDK's try and two retries)
    stripe_standin.fail_next(3, status=500, path="/v1/checkout/sessions")
    # when the customer checks out
    failed = checkout(client)
    # then a clean 502 in the error shape; the order cancelled and its stock released
    assert failed.status_code == 502
    assert set(failed.get_json()) == {"code", "status", "message", "errors"}
    assert [o.status for o in orders()] == [CANCELLED] and not orders()[0].stock_reserved
    assert stock_of(product) == 10
    # when the customer tries the same cart again
    retry = checkout(client)
    # then it succeeds: one order waits for payment, holding 2 units once
    assert retry.status_code == 201, retry.get_json()
    assert [o.status for o in orders()] == [CANCELLED, PENDING_PAYMENT]
    assert stock_of(product) == 8


def test_a_500_the_sdk_retries_creates_one_session(client, product, stripe_standin, stripe_client):
    # given Stripe failing twice, then answering
    stripe_standin.fail_next(2, status=500, path="/v1/checkout/sessions")
    # when the customer checks out
    response = checkout(client)
    # then the SDK's retries (same idempotency key) opened exactly one session
    assert response.status_code == 201, response.get_json()
    [order] = orders()
    assert order.stripe_checkout_session_id == response.get_json()["stripe_checkout_session_id"]
    assert [s.id for s in sessions_at_stripe(stripe_client)] == [order.stripe_checkout_session_id]
    assert stock_of(product) == 8


def test_stripe_too_slow_is_503_and_holds_nothing(stripe_app, client, product, stripe_standin):
    # given Stripe creating the session but answering after the shop stopped waiting, on every try
    stripe_app.config["STRIPE_TIMEOUT_SECONDS"] = 0.3
    stripe_standin.delay_next(3, 1.0, path="/v1/checkout/sessions", when="after")
    # when the customer checks out
    response = checkout(client)
    # then 503 in the error shape, the order cancelled, its stock back
    assert response.status_code == 503
    assert response.get_json()["code"] == 503
    assert [o.status for o in orders()] == [CANCELLED]
    assert stock_of(product) == 10
    # and the session Stripe made (whose address the customer never got) changes nothing later
    with stripe_app.app_context():
        assert set(reconcile.reconcile_recent()) <= {reconcile.IN_STEP}
    # and the same cart, with Stripe answering in time again, succeeds
    stripe_app.config["STRIPE_TIMEOUT_SECONDS"] = 5
    assert checkout(client).status_code == 201
    assert stock_of(product) == 8


def test_a_refund_approval_under_500s_fails_the_claim_and_its_retry_refunds_once(
        claim_at_stripe, client, staff_member, stripe_standin, settled):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    # given Stripe answering 500 to every try of the refund
    stripe_standin.fail_next(3, status=500, path="/v1/refunds")
    # when support approves: the claim is failed, with Stripe's message kept for staff
    first = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers)
    assert first.status_code == 200 and first.get_json()["status"] == FAILED
    # when support approves again once Stripe is back
    second = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers)
    settled()
    # then Stripe holds one refund, for the whole order, and the shop counted it once
    assert second.status_code == 200
    assert [r["amount"] for r in _refunds_at_stripe(stripe_standin)] == [order.total]
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_total == order.total


def test_a_refund_that_timed_out_after_stripe_made_it_is_never_made_twice(
        stripe_app, claim_at_stripe, client, staff_member, stripe_standin, settled):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    # given Stripe making the refund but answering too late on every try, its webhook held back
    stripe_app.config["STRIPE_TIMEOUT_SECONDS"] = 0.3
    stripe_standin.pause_webhooks()
    stripe_standin.delay_next(3, 1.0, path="/v1/refunds", when="after")
    # when support approves: the shop cannot know, and says the refund failed
    first = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers)
    assert first.status_code == 200 and first.get_json()["status"] == FAILED
    # when Stripe's webhook arrives later, and support then tries again
    stripe_app.config["STRIPE_TIMEOUT_SECONDS"] = 5
    stripe_standin.resume_webhooks()
    settled()
    second = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers)
    settled()
    # then there is still one refund at Stripe, counted once; nothing is left to refund
    assert len(_refunds_at_stripe(stripe_standin)) == 1, second.get_json()
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_total == order.total
    assert db.session.get(Claim, claim_id).status in (FAILED, "refunded")


def _refunds_at_stripe(standin) -> list[dict]:
    return [e["data"]["object"] for e in standin.events("refund.created")]


def test_a_partial_refund_whose_answer_was_lost_is_retried_under_the_same_key(
        stripe_app, claim_at_stripe, client, staff_member, stripe_standin, settled):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    half = order.total // 2
    # given Stripe making a partial refund but answering too late, and its webhook held back
    stripe_app.config["STRIPE_TIMEOUT_SECONDS"] = 0.3
    stripe_standin.pause_webhooks()
    stripe_standin.delay_next(3, 1.0, path="/v1/refunds", when="after")
    first = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={"amount": half}, headers=headers)
    assert first.status_code == 200 and first.get_json()["status"] == FAILED
    stripe_app.config["STRIPE_TIMEOUT_SECONDS"] = 5
    # when support retries with another amount before Stripe's webhook arrives: refused
    other = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={"amount": half - 1}, headers=headers)
    assert other.status_code == 409
    # when support retries with the same amount
    retry = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={"amount": half}, headers=headers)
    stripe_standin.resume_webhooks()
    settled()
    # then Stripe holds one refund of that amount, counted once
    assert retry.status_code == 200, retry.get_json()
    assert [r["amount"] for r in _refunds_at_stripe(stripe_standin)] == [half]
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_total == half
