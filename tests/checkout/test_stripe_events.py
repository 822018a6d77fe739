"""The shop against Stripe's events as Stripe sends them: every event of a payment, a charge
that does not list its refunds, and deliveries in any order, several at once."""
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import PAID, PARTIALLY_REFUNDED, Order
from shop.payments.models import REFUND_SUCCEEDED, Refund, StripeEvent
from tests.payments.conftest import count, emails


def _order(order_id) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def test_every_event_of_a_payment_is_acknowledged(checkout, make_product, stripe_standin):
    # given an order checked out
    make_product(slug="mag-rr", stock=10, price=4900)
    body = checkout([{"slug": "mag-rr", "quantity": 1}]).get_json()

    # when the customer pays: Stripe sends the intent's and the charge's events too
    stripe_standin.pay(body["stripe_checkout_session_id"])
    deliveries = stripe_standin.wait_for_deliveries(len(stripe_standin.events()))

    # then the shop takes each of them, and the order is paid with its card known
    assert {d["type"]: d["status"] for d in deliveries} == {
        "payment_intent.created": 200, "charge.succeeded": 200,
        "payment_intent.succeeded": 200, "checkout.session.completed": 200}
    order = _order(body["order_id"])
    assert (order.status, order.card_last4) == (PAID, "4242")
    assert order.stripe_charge_id == stripe_standin.payment_intent(
        order.stripe_payment_intent_id)["latest_charge"]


def test_a_dashboard_refund_announced_by_charge_refunded_alone_is_recorded(
        checkout, make_product, stripe_standin):
    # given a paid order, and a webhook endpoint enabled for sessions and charge.refunded only
    stripe_standin.configure_webhooks(events=["checkout.session.*", "charge.refunded"])
    make_product(slug="mag-rr", stock=10, price=4900)
    body = checkout([{"slug": "mag-rr", "quantity": 1}]).get_json()
    intent = stripe_standin.pay(body["stripe_checkout_session_id"])["payment_intent"]

    # when staff refund 10.00 in Stripe's dashboard (the charge in the event lists no refunds)
    refund = stripe_standin.dashboard_refund(intent, amount=1000)
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()))

    # then the shop asked Stripe for the charge's refunds and recorded this one
    [row] = db.session.scalars(select(Refund).where(Refund.order_id == body["order_id"]))
    assert (row.stripe_refund_id, row.amount, row.status) == (refund["id"], 1000, REFUND_SUCCEEDED)
    order = _order(body["order_id"])
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 1000)

    # and when Stripe sends charge.refunded again, nothing more is counted
    stripe_standin.redeliver(stripe_standin.events("charge.refunded")[0]["id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()))
    assert count(Refund, Refund.order_id == order.id) == 1
    assert _order(order.id).refunded_total == 1000


def test_payment_and_refund_events_shuffled_and_concurrent_end_in_the_right_state(
        checkout, make_product, stripe_standin):
    # given Stripe delivering in shuffled order from four threads, and an order checked out
    stripe_standin.configure_webhooks(order="shuffle", seed=7, workers=4, attempts=6)
    make_product(slug="mag-rr", stock=10, price=4900)
    body = checkout([{"slug": "mag-rr", "quantity": 1}]).get_json()

    # when the customer pays and staff refund 10.00 in the dashboard, all events held, then let go
    stripe_standin.pause_webhooks()
    intent = stripe_standin.pay(body["stripe_checkout_session_id"])["payment_intent"]
    refund = stripe_standin.dashboard_refund(intent, amount=1000)
    stripe_standin.resume_webhooks()
    events = stripe_standin.events()
    deliveries = stripe_standin.wait_for_deliveries(len(events), timeout=30)

    # then every event was taken and recorded once, and the order is paid then partly refunded
    assert [[a["status"] for a in d["attempts"]] for d in deliveries] == [[200]] * 6, deliveries
    assert count(StripeEvent) == len(events) == 6
    order = _order(body["order_id"])
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 1000)
    assert [(r.stripe_refund_id, r.status) for r in db.session.scalars(
        select(Refund).where(Refund.order_id == order.id))] == [(refund["id"], REFUND_SUCCEEDED)]
    assert len(emails()) == 1
