"""Every webhook type, delivered twice: the same state, one email. Plus out-of-order deliveries."""
import pytest

from shop.orders.models import CANCELLED, PAID, PENDING_PAYMENT, REFUNDED
from shop.payments.models import StripeEvent
from tests.payments.conftest import count, emails, events_recorded
from tests.payments.stripe_events import (
    charge,
    checkout_session,
    deliver,
    dispute,
    event,
    refund,
)


def deliver_twice(client, evt):
    first = deliver(client, evt)
    second = deliver(client, evt)
    assert first.status_code == 200, first.get_json()
    assert second.status_code == 200
    assert second.get_json()["outcome"] == "duplicate"
    return first.get_json()["outcome"]


def test_completed_twice_pays_once_and_emails_once(client, pending_order, reload, run_tasks):
    # given an order waiting for payment
    order, product = pending_order()
    # when Stripe delivers checkout.session.completed twice
    outcome = deliver_twice(client, event("checkout.session.completed", checkout_session(order)))
    # then the order is paid once, with the payment intent stored, and one confirmation is queued
    assert outcome == "paid"
    order = reload(order)
    assert order.status == PAID and order.paid_at is not None
    assert order.stripe_payment_intent_id == f"pi_for_order_{order.id}"
    assert [e.to_status for e in order.events if e.kind == "status"] == [PAID]
    assert events_recorded() == 1
    assert len(emails()) == 1
    assert run_tasks() == 1
    assert reload(product).stock == 8  # the reservation stands; paying takes nothing more


def test_two_events_for_the_same_payment_still_email_once(client, pending_order, reload):
    # given a paid order
    order, _ = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    # when an async_payment_succeeded (another event id) reports the same payment
    response = deliver(client, event("checkout.session.async_payment_succeeded", checkout_session(order)))
    # then nothing more happens
    assert response.get_json()["outcome"] == "already paid"
    assert reload(order).status == PAID
    assert len(emails()) == 1


def test_unpaid_completion_waits_for_the_async_result(client, pending_order, reload):
    # given a customer who paid by bank debit: the session completes unpaid
    order, _ = pending_order()
    outcome = deliver_twice(client, event("checkout.session.completed", checkout_session(order, payment_status="unpaid")))
    assert outcome == "awaiting payment"
    assert reload(order).status == PENDING_PAYMENT
    assert emails() == []
    # when the payment succeeds later (delivered twice)
    outcome = deliver_twice(client, event("checkout.session.async_payment_succeeded", checkout_session(order)))
    # then it is paid, once
    assert outcome == "paid"
    assert reload(order).status == PAID
    assert len(emails()) == 1


def test_async_payment_failed_twice_cancels_and_releases_once(client, pending_order, reload):
    order, product = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order, payment_status="unpaid")))
    outcome = deliver_twice(client, event("checkout.session.async_payment_failed",
                                          checkout_session(order, payment_status="unpaid")))
    assert outcome == "cancelled"
    order = reload(order)
    assert order.status == CANCELLED and not order.stock_reserved
    assert reload(product).stock == 10
    assert emails() == []


def test_expired_twice_cancels_and_releases_once(client, pending_order, reload):
    # given an order holding 2 of 10 units
    order, product = pending_order()
    # when its session expires (delivered twice)
    outcome = deliver_twice(client, event("checkout.session.expired",
                                          checkout_session(order, payment_status="unpaid", status="expired")))
    # then it is cancelled and the 2 units are back, once
    assert outcome == "cancelled"
    assert reload(order).status == CANCELLED
    assert reload(product).stock == 10


def test_expired_after_payment_changes_nothing(client, pending_order, reload):
    order, product = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    response = deliver(client, event("checkout.session.expired", checkout_session(order, status="expired")))
    assert response.get_json()["outcome"] == "ignored (paid)"
    assert reload(order).status == PAID
    assert reload(product).stock == 8


def test_completed_after_expired_flags_the_order_for_staff(client, pending_order, reload):
    # given an order whose checkout expired (cancelled, stock released)
    order, product = pending_order()
    deliver(client, event("checkout.session.expired", checkout_session(order, payment_status="unpaid", status="expired")))
    # when Stripe then reports that the session was paid after all (delivered twice)
    outcome = deliver_twice(client, event("checkout.session.completed", checkout_session(order)))
    # then the order stays cancelled, is flagged for staff with the payment recorded,
    # no stock is taken again and no confirmation goes out
    assert outcome == "paid after cancellation"
    order = reload(order)
    assert order.status == CANCELLED
    assert "after this order was cancelled" in order.needs_attention
    assert order.needs_attention.count("\n") == 0  # flagged once
    assert order.stripe_payment_intent_id == f"pi_for_order_{order.id}"
    assert reload(product).stock == 10
    assert emails() == []


def test_charge_succeeded_stores_the_card(client, pending_order, reload):
    order, _ = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    outcome = deliver_twice(client, event("charge.succeeded", charge(order)))
    assert outcome == "payment details"
    order = reload(order)
    assert (order.card_brand, order.card_last4, order.stripe_charge_id) == ("mastercard", "4444", f"ch_for_order_{order.id}")


def test_dispute_twice_flags_once(client, pending_order, reload):
    order, _ = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    deliver(client, event("charge.succeeded", charge(order)))
    outcome = deliver_twice(client, event("charge.dispute.created", dispute(order)))
    assert outcome == "flagged"
    order = reload(order)
    assert order.status == PAID
    assert "Dispute dp_for_order_" in order.needs_attention
    assert len([e for e in order.events if e.kind == "dispute"]) == 1


def test_event_for_an_unknown_order_is_recorded_and_acknowledged(client, app):
    # given no order at all
    evt = event("checkout.session.completed", {"object": "checkout.session", "id": "cs_test_elsewhere",
                                                "metadata": {}, "payment_status": "paid"})
    # when Stripe reports a session of another integration on the account
    response = deliver(client, evt)
    # then it is acknowledged and recorded as such
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unknown order"
    assert count(StripeEvent, StripeEvent.outcome == "unknown order") == 1


def test_types_we_do_not_handle_are_acknowledged(client):
    response = deliver(client, event("customer.created", {"object": "customer", "id": "cus_1"}))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"


def test_a_session_for_another_order_id_is_not_trusted(client, pending_order, reload):
    # given an order that already has its own session
    order, _ = pending_order()
    session = checkout_session(order)
    session["id"] = "cs_test_someone_else"
    # when an event names this order in its metadata but is about another session
    response = deliver(client, event("checkout.session.completed", session))
    # then it does not pay this order
    assert response.get_json()["outcome"] == "unknown order"
    assert reload(order).status == PENDING_PAYMENT


@pytest.mark.parametrize("event_type", ["refund.created", "refund.updated", "charge.refund.updated"])
def test_refund_events_twice_count_once(client, pending_order, reload, event_type):
    order, _ = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    outcome = deliver_twice(client, event(event_type, refund(order, "re_full", order.total)))
    assert outcome == "refund succeeded"
    order = reload(order)
    assert order.status == REFUNDED and order.refunded_total == order.total
