"""The stale-checkout sweep: orders whose webhooks never came are settled from Stripe's word."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import CANCELLED, PAID, PENDING_PAYMENT, Order, OrderItem
from shop.payments.tasks import sweep_stale_checkouts
from tests.payments.conftest import emails


@pytest.fixture
def stale_checkout(checkout, make_product, stripe_standin):
    """Check out 2 of 10 units with webhooks switched off, then age the order by two hours."""

    def make():
        product = make_product(slug="mag-rr", stock=10)
        stripe_standin.pause_webhooks()
        body = checkout([{"slug": "mag-rr", "quantity": 2}]).get_json()
        db.session.execute(update(Order).values(created_at=utcnow() - timedelta(hours=2)))
        db.session.commit()
        return body, product

    return make


@pytest.fixture
def sweep(stripe_app):
    """Run the beat task as the worker would: in the Stripe-wired app's context."""

    def run():
        with stripe_app.app_context():
            return sweep_stale_checkouts.run()

    return run


def _order(order_id) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def test_paid_session_without_webhook_is_marked_paid_once(stale_checkout, stripe_standin, sweep):
    # given a customer who paid, but whose webhooks never reached us
    body, _ = stale_checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    # when the sweep runs, twice (a replay of the task)
    first = sweep()
    second = sweep()
    # then the order is paid once, with one confirmation; the second run has nothing to do
    assert first == {"paid": 1} and second == {}
    assert _order(body["order_id"]).status == PAID
    assert len(emails()) == 1


def test_a_session_charged_otherwise_is_flagged_once_and_left_to_staff(stale_checkout, stripe_standin, sweep):
    # given a customer who paid at Stripe, for other amounts than the order's lines say
    body, _ = stale_checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    db.session.execute(update(OrderItem).values(unit_price=OrderItem.unit_price + 1))
    db.session.commit()
    # when the sweep runs, twice
    first = sweep()
    second = sweep()
    # then the order stays unpaid and is flagged, once; the next sweep leaves it to staff
    assert first == {"amount mismatch": 1} and second == {}
    order = _order(body["order_id"])
    assert order.status == PENDING_PAYMENT and "Stripe charged" in order.needs_attention
    assert [e.kind for e in order.events].count("amount_mismatch") == 1
    assert emails() == []


def test_open_session_is_expired_at_stripe_and_the_stock_released(stale_checkout, stripe_standin, sweep):
    body, product = stale_checkout()
    assert sweep() == {"cancelled": 1}
    assert _order(body["order_id"]).status == CANCELLED
    assert stripe_standin.session(body["stripe_checkout_session_id"])["status"] == "expired"
    db.session.expire_all()
    assert db.session.get(type(product), product.id).stock == 10


def test_order_that_never_reached_stripe_is_cancelled(stale_checkout, sweep):
    body, product = stale_checkout()
    db.session.execute(update(Order).values(stripe_checkout_session_id=None))
    db.session.commit()
    assert sweep() == {"cancelled": 1}
    assert _order(body["order_id"]).status == CANCELLED


def test_stripe_down_leaves_the_order_for_the_next_sweep(stale_checkout, stripe_standin, sweep):
    body, _ = stale_checkout()
    stripe_standin.fail_next(3, status=500)
    assert sweep() == {"stripe unavailable": 1}
    assert _order(body["order_id"]).status == PENDING_PAYMENT


def test_recent_checkouts_are_left_alone(checkout, make_product, sweep):
    make_product(slug="mag-rr", stock=10)
    checkout([{"slug": "mag-rr", "quantity": 1}])
    assert sweep() == {}


def test_reconcile_command_prints_progress(stripe_app, stale_checkout, stripe_standin):
    body, _ = stale_checkout()
    stripe_standin.pay(body["stripe_checkout_session_id"])
    with stripe_app.app_context():
        result = stripe_app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert f"[1/1] order {body['order_id']}: paid" in result.output
    assert "Reconciled: 1 paid." in result.output
