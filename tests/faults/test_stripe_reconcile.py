"""Reconciliation with Stripe: drift the webhooks never reported is found by listing, and fixed.

Webhooks are paused at the stand-in, so Stripe's word reaches the shop only through
`reconcile_recent` (the daily beat task) or `flask stripe reconcile`.
"""
import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import CANCELLED, PAID, PARTIALLY_REFUNDED, Order
from shop.payments.models import REFUND_FAILED, REFUND_SUCCEEDED, Refund
from shop.payments.reconcile import IN_STEP, reconcile_recent
from shop.payments.tasks import reconcile_with_stripe
from tests.payments.conftest import emails


@pytest.fixture
def app(stripe_app):
    """Factories, requests and the reconciliation all use the app wired to the stand-in."""
    return stripe_app


@pytest.fixture
def checkout(stripe_app, make_product):
    """Check out 2 bottles of Mag R&R (price 4900) at the stand-in; returns the API's answer."""
    make_product(slug="mag-rr", stock=10, price=4900)

    def post(email="buyer@example.com"):
        response = stripe_app.test_client().post("/api/v1/checkout", json={
            "email": email, "items": [{"slug": "mag-rr", "quantity": 2}]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post


@pytest.fixture
def paid_order(checkout, stripe_standin):
    """An order paid with its webhooks delivered (the shop knows it is paid), then webhooks paused."""
    body = checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    stripe_standin.pause_webhooks()
    order = _order(body["order_id"])
    assert order.status == PAID
    return order


def _order(order_id) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def _refunds(order) -> list[Refund]:
    db.session.expire_all()
    return list(db.session.scalars(select(Refund).where(Refund.order_id == order.id)))


def test_a_paid_session_whose_webhook_never_came_is_paid_once(stripe_app, checkout, stripe_standin):
    # given a customer who paid while no webhook could reach the shop
    stripe_standin.pause_webhooks()
    body = checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    # when the reconciliation runs (twice: the second finds nothing to do)
    first = reconcile_recent()
    second = reconcile_recent()
    # then the order is paid, confirmed once, and the second run found everything in step
    assert first == {"paid": 1}
    assert second == {IN_STEP: 1}
    order = _order(body["order_id"])
    assert order.status == PAID and order.stripe_payment_intent_id
    assert len(emails("order_confirmation")) == 1
    # and when the held webhooks arrive at last, nothing changes
    stripe_standin.resume_webhooks()
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    assert _order(body["order_id"]).status == PAID
    assert len(emails("order_confirmation")) == 1


def test_sessions_are_read_across_pages(stripe_app, checkout, stripe_standin, stripe_client):
    # given a paid session followed by 100 more sessions at Stripe (someone else's), so that
    # the paid one is on the second page of the list
    stripe_standin.pause_webhooks()
    body = checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    for _ in range(100):
        stripe_client.v1.checkout.sessions.create({"mode": "payment", "success_url": "http://elsewhere.test/",
            "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 100,
                                                          "product_data": {"name": "Other"}}}]})
    # when the reconciliation runs
    tally = reconcile_recent()
    # then it read all 101 and paid the order
    assert tally == {"paid": 1, IN_STEP: 100}
    assert _order(body["order_id"]).status == PAID


def test_a_dashboard_refund_is_recorded_like_its_webhook(stripe_app, paid_order, stripe_standin):
    # given 1000 cents refunded in Stripe's dashboard, its webhooks lost
    refund = stripe_standin.dashboard_refund(paid_order.stripe_payment_intent_id, amount=1000)
    # when the reconciliation runs
    tally = reconcile_recent()
    # then the refund is recorded, counted once, and the order partially refunded
    assert tally == {IN_STEP: 1, "refund recorded (succeeded)": 1}
    [row] = _refunds(paid_order)
    assert (row.stripe_refund_id, row.amount, row.status, row.counted) == (refund["id"], 1000, REFUND_SUCCEEDED, True)
    order = _order(paid_order.id)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 1000)
    # and a second run changes nothing
    assert reconcile_recent() == {IN_STEP: 2}
    assert _order(paid_order.id).refunded_total == 1000


def test_a_refund_that_failed_late_is_updated_and_flagged(stripe_app, paid_order, stripe_standin):
    # given a refund the shop knows succeeded (webhooks on), which then fails at Stripe unheard
    stripe_standin.resume_webhooks()
    refund = stripe_standin.dashboard_refund(paid_order.stripe_payment_intent_id, amount=1500)
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    assert _order(paid_order.id).refunded_total == 1500
    stripe_standin.pause_webhooks()
    stripe_standin.fail_refund(refund["id"])
    # when the reconciliation runs
    tally = reconcile_recent()
    # then the refund is failed, no longer counted, and staff are asked to look
    assert tally == {IN_STEP: 1, "refund succeeded -> failed": 1}
    [row] = _refunds(paid_order)
    assert (row.status, row.counted) == (REFUND_FAILED, False)
    order = _order(paid_order.id)
    # (the status follows the money back, as the webhook does)
    assert (order.refunded_total, order.status) == (0, PAID)
    assert refund["id"] in order.needs_attention


def test_stripe_unavailable_changes_nothing(stripe_app, checkout, stripe_standin):
    # given a paid session unheard of, and Stripe answering 500 to every try
    stripe_standin.pause_webhooks()
    body = checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    stripe_standin.fail_next(10, status=500)
    # when the reconciliation runs
    tally = reconcile_recent()
    # then it says so and the order still waits, for the next run
    assert tally == {"stripe unavailable": 1}
    assert _order(body["order_id"]).status != PAID


def test_the_beat_task_and_the_command_both_reconcile(stripe_app, checkout, stripe_standin):
    # given two paid sessions unheard of
    stripe_standin.pause_webhooks()
    first, second = checkout("one@example.com"), checkout("two@example.com")
    stripe_standin.pay(first["stripe_checkout_session_id"])
    stripe_standin.pay(second["stripe_checkout_session_id"])
    # when the command runs with a window of one day
    with stripe_app.app_context():
        result = stripe_app.test_cli_runner().invoke(args=["stripe", "reconcile", "--days", "1"])
    # then it printed what it compared, what it fixed, and a summary
    assert result.exit_code == 0, result.output
    assert "Comparing 2 checkout session(s) and 0 refund(s)" in result.output
    assert f"session {first['stripe_checkout_session_id']}: paid" in result.output
    assert "Reconciled: 2 paid." in result.output
    # and the beat task, run next, finds both in step
    with stripe_app.app_context():
        assert reconcile_with_stripe.run() == {IN_STEP: 2}
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == PAID)) == 2


def test_days_outside_the_allowed_range_are_refused(stripe_app):
    result = stripe_app.test_cli_runner().invoke(args=["stripe", "reconcile", "--days", "0"])
    assert result.exit_code == 2 and "--days" in result.output


def test_a_payment_for_a_cancelled_order_is_flagged_once(stripe_app, checkout, stripe_standin):
    from shop.orders.checkout import cancel_unpaid_order
    from shop.orders.services import lock_order

    # given an order cancelled by the shop while its customer paid at Stripe, unheard of
    stripe_standin.pause_webhooks()
    body = checkout()
    cancel_unpaid_order(lock_order(body["order_id"]), actor="system", message="Checkout expired")
    db.session.commit()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    # when the reconciliation runs twice
    first, second = reconcile_recent(), reconcile_recent()
    # then staff are asked, once, to refund or fulfil it; the order stays cancelled
    assert first == {"paid after cancellation": 1} and second == {IN_STEP: 1}
    order = _order(body["order_id"])
    assert order.status == CANCELLED and "Stripe took payment" in order.needs_attention
    assert emails("order_confirmation") == []
