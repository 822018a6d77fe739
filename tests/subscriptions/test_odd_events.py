"""Subscription events the shop cannot place or read: 200, nothing made."""
import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import PAID, Order
from tests.payments.stripe_events import deliver, event


def orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("invoice", [
    {"object": "invoice", "id": "in_1", "billing_reason": "subscription_cycle", "parent": "junk"},
    {"object": "invoice", "id": "in_2", "billing_reason": "subscription_cycle",
     "parent": {"subscription_details": {"metadata": {"order_id": "not a number"}, "subscription": 7}}},
    {"object": "invoice", "id": {"x": 1}, "billing_reason": "subscription_cycle",
     "parent": {"subscription_details": "junk"}, "total_discount_amounts": "junk"},
])
def test_an_invoice_that_names_no_known_subscription_is_acknowledged(client, invoice):
    answer = deliver(client, event("invoice.paid", invoice))
    assert answer.status_code == 200
    assert orders() == 0


def test_events_about_a_one_time_order_change_nothing(client, mag_rr, make_order):
    order, _ = make_order(mag_rr, status=PAID)
    metadata = {"order_id": str(order.id)}
    invoice = {"object": "invoice", "id": "in_3", "billing_reason": "subscription_cycle", "subtotal": 100,
               "amount_paid": 100, "parent": {"subscription_details": {"metadata": metadata,
                                                                      "subscription": "sub_x"}}}
    subscription = {"object": "subscription", "id": "sub_x", "status": "active", "metadata": metadata}

    for evt in (event("invoice.paid", invoice), event("invoice.payment_failed", invoice),
                event("customer.subscription.updated", subscription)):
        answer = deliver(client, evt)
        assert answer.status_code == 200
        assert answer.json["outcome"].startswith("ignored")
    assert orders() == 1
