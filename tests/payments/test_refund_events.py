"""Refunds reported by Stripe: dashboard refunds, partial and full, failures, and odd orderings."""
import pytest
from sqlalchemy import select

from shop.db import as_utc
from shop.extensions import db
from shop.orders.models import DELIVERED, PAID, PARTIALLY_REFUNDED, PENDING_PAYMENT, REFUNDED
from shop.payments.models import REFUND_FAILED, REFUND_SUCCEEDED, Refund
from shop.payments.signals import refund_updated
from tests.payments.stripe_events import charge, checkout_session, deliver, event, refund


@pytest.fixture
def paid_order(client, pending_order):
    order, product = pending_order(quantity=2, price=3900)  # total 7800
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    return order


@pytest.fixture
def signals_seen():
    seen = []

    def receiver(sender, previous_status=None, **_):
        seen.append((sender.stripe_refund_id, previous_status, sender.status))

    refund_updated.connect(receiver)
    yield seen
    refund_updated.disconnect(receiver)


def refunds() -> list[Refund]:
    db.session.expire_all()
    return list(db.session.scalars(select(Refund).order_by(Refund.id)))


def test_dashboard_refund_partial_then_full(client, paid_order, reload, signals_seen):
    # given a paid order of 7800
    order = paid_order
    # when staff refund 2000 in the Stripe dashboard (no claim), pending then succeeded
    deliver(client, event("refund.created", refund(order, "re_a", 2000, status="pending")))
    assert reload(order).refunded_total == 0  # not counted until it succeeds
    deliver(client, event("refund.updated", refund(order, "re_a", 2000)))
    # then a Refund row without claim is kept and the order is partially refunded
    order = reload(order)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 2000)
    [row] = refunds()
    assert (row.claim_id, row.status, row.counted, row.amount) == (None, REFUND_SUCCEEDED, True, 2000)
    assert signals_seen == [("re_a", None, "pending"), ("re_a", "pending", "succeeded")]
    # when the rest is refunded
    deliver(client, event("refund.updated", refund(order, "re_b", 5800)))
    # then the order is refunded in full
    order = reload(order)
    assert (order.status, order.refunded_total) == (REFUNDED, 7800)


def test_refund_created_arriving_after_updated_does_not_undo_it(client, paid_order, reload):
    order = paid_order
    deliver(client, event("refund.updated", refund(order, "re_a", 7800)))
    deliver(client, event("refund.created", refund(order, "re_a", 7800, status="pending")))
    assert refunds()[0].status == REFUND_SUCCEEDED
    assert reload(order).status == REFUNDED


def test_a_refund_that_fails_after_succeeding_is_taken_back_and_flagged(client, paid_order, reload):
    # given a paid order with a refund of 1000 that Stripe confirmed
    order = paid_order
    deliver(client, event("refund.updated", refund(order, "re_a", 1000)))
    assert reload(order).status == PARTIALLY_REFUNDED
    # when Stripe reports that refund failed after all
    deliver(client, event("refund.failed", refund(order, "re_a", 1000, status="failed", failure_reason="lost_or_stolen_card")))
    # then nothing counts as refunded, the order is paid again, and staff are told
    order = reload(order)
    assert (order.status, order.refunded_total) == (PAID, 0)
    assert "failed after it had succeeded" in order.needs_attention
    [row] = refunds()
    assert (row.status, row.counted, row.failure_reason) == (REFUND_FAILED, False, "lost_or_stolen_card")
    assert [(e.from_status, e.to_status) for e in order.events if e.kind == "status"][-2:] == [
        (PAID, PARTIALLY_REFUNDED), (PARTIALLY_REFUNDED, PAID)]


def test_the_order_status_follows_the_refunds_that_stand(client, make_product, make_order, reload):
    # given a delivered order of 7800 refunded in full by two refunds
    order, _ = make_order(make_product(price=3900), quantity=2, status=DELIVERED)
    order.stripe_payment_intent_id, order.stripe_charge_id = f"pi_for_order_{order.id}", f"ch_for_order_{order.id}"
    db.session.commit()
    delivered_at = as_utc(order.delivered_at)
    deliver(client, event("refund.updated", refund(order, "re_a", 5000)))
    deliver(client, event("refund.updated", refund(order, "re_b", 2800)))
    assert (reload(order).status, reload(order).refunded_total) == (REFUNDED, 7800)
    # when the second fails after it had succeeded
    deliver(client, event("refund.updated", refund(order, "re_b", 2800, status="failed")))
    # then the order is partially refunded by what stands
    assert (reload(order).status, reload(order).refunded_total) == (PARTIALLY_REFUNDED, 5000)
    # and when the first fails too, it is delivered again, delivered when it was
    deliver(client, event("refund.failed", refund(order, "re_a", 5000, status="failed")))
    order = reload(order)
    assert (order.status, order.refunded_total, as_utc(order.delivered_at)) == (DELIVERED, 0, delivered_at)
    # and a later refund that succeeds counts as usual
    deliver(client, event("refund.updated", refund(order, "re_c", 1000)))
    assert (reload(order).status, reload(order).refunded_total) == (PARTIALLY_REFUNDED, 1000)


def test_charge_refunded_listing_its_refunds_counts_them_once(client, paid_order, reload):
    order = paid_order
    obj = charge(order, amount_refunded=7800, refunded=True)
    obj["refunds"]["data"] = [refund(order, "re_a", 7800)]
    evt = event("charge.refunded", obj)
    assert deliver(client, evt).get_json()["outcome"] == "refund noted"
    assert deliver(client, evt).get_json()["outcome"] == "duplicate"
    deliver(client, event("charge.refunded", obj))  # another event id, same facts
    deliver(client, event("refund.updated", refund(order, "re_a", 7800)))
    order = reload(order)
    assert (order.status, order.refunded_total) == (REFUNDED, 7800)
    assert len(refunds()) == 1


def test_refund_before_paid_is_counted_once_the_order_is_paid(client, pending_order, reload):
    # given a customer paying by bank debit: the session completed, payment not yet confirmed
    order, _ = pending_order(quantity=1, price=5000)
    deliver(client, event("checkout.session.completed", checkout_session(order, payment_status="unpaid")))
    # when a refund is reported before the payment is confirmed
    deliver(client, event("refund.updated", refund(order, "re_early", 5000)))
    # then it is recorded but not counted: nothing was paid yet
    order = reload(order)
    assert (order.status, order.refunded_total) == (PENDING_PAYMENT, 0)
    assert refunds()[0].counted is False
    # when the payment is confirmed
    deliver(client, event("checkout.session.async_payment_succeeded", checkout_session(order)))
    # then the refund counts, once
    order = reload(order)
    assert (order.status, order.refunded_total) == (REFUNDED, 5000)
    assert refunds()[0].counted is True
    assert [e.to_status for e in order.events if e.kind == "status"] == [PAID, REFUNDED]


def test_refund_for_a_payment_not_yet_linked_is_parked_then_applied(client, pending_order, reload):
    # given an order whose payment intent we do not know yet
    order, _ = pending_order(quantity=1, price=5000)
    # when the refund event overtakes checkout.session.completed
    response = deliver(client, event("refund.updated", refund(order, "re_early", 2000)))
    assert response.get_json()["outcome"] == "unknown order"
    # and the completion arrives
    deliver(client, event("checkout.session.completed", checkout_session(order)))
    # then the parked refund is applied to the paid order
    order = reload(order)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 2000)


def test_own_refund_is_matched_by_its_idempotency_key(client, paid_order, reload):
    # given a refund we asked for, recorded before Stripe's id was known
    order = paid_order
    mine = Refund(order_id=order.id, amount=7800, currency="usd", idempotency_key="claim-1-refund-1")
    db.session.add(mine)
    db.session.commit()
    # when Stripe's webhook arrives carrying that key
    deliver(client, event("refund.updated", refund(order, "re_x", 7800, metadata={"refund_key": "claim-1-refund-1"})))
    # then it is the same row, now with Stripe's id
    [row] = refunds()
    assert (row.id, row.stripe_refund_id, row.status) == (mine.id, "re_x", REFUND_SUCCEEDED)
    assert reload(order).status == REFUNDED
