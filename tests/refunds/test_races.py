"""Staff refunding and cancelling at the same moment, and Stripe's webhooks racing the staff's
requests: PostgreSQL row locks (order, claims, refunds) keep the money refunded once."""
import json
import threading

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import CANCELLED, PARTIALLY_REFUNDED, REFUNDED, Order
from shop.payments.models import REFUND_SUCCEEDED, Refund
from tests.guarantee.test_races import at_once

pytestmark = pytest.mark.postgres


def refunds_at_stripe(standin) -> list[dict]:
    return [e["data"]["object"] for e in standin.events("refund.created")]


def post_refund(headers, order_id, key=None, **body):
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return lambda c: c.post(f"/api/v1/admin/orders/{order_id}/refund", json=body, headers=headers)


def post_cancel(headers, order_id):
    return lambda c: c.post(f"/api/v1/admin/orders/{order_id}/cancel", json={"reason": "Asked"}, headers=headers)


def test_two_full_refunds_at_once_refund_once(app, paid_order, staff_headers, stripe_standin, settled):
    # given a paid order and two support staff
    order = paid_order()
    one, two = staff_headers("support"), staff_headers("admin")
    # when both refund everything at the same moment
    responses = at_once(app, [post_refund(one, order.id, reason="Goodwill"),
                              post_refund(two, order.id, reason="Goodwill")])
    settled()
    # then one refund is made; the other request finds nothing left (422), nothing more
    assert sorted(r.status_code for r in responses) == [200, 422]
    assert [r["amount"] for r in refunds_at_stripe(stripe_standin)] == [order.total]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id)) == 1
    assert db.session.get(Order, order.id).refunded_total == order.total


@pytest.mark.parametrize("slow_stripe", [False, True])
def test_the_same_request_twice_at_once_refunds_once(app, paid_order, staff_headers, stripe_standin, settled,
                                                     slow_stripe):
    order = paid_order(quantity=2)
    headers = staff_headers("support")
    if slow_stripe:  # the second request lands while the first waits for Stripe
        stripe_standin.delay_next(2, 0.5, path="/v1/refunds")
    responses = at_once(app, [post_refund(headers, order.id, key="form-7", amount=1200, reason="Dent"),
                              post_refund(headers, order.id, key="form-7", amount=1200, reason="Dent")])
    settled()
    assert [r.status_code for r in responses] == [200, 200]
    assert [r["amount"] for r in refunds_at_stripe(stripe_standin)] == [1200]
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 1200)


def test_a_refund_and_a_cancellation_at_once_never_refund_more_than_was_paid(
        app, paid_order, staff_headers, stripe_standin, settled):
    order = paid_order(quantity=2)
    responses = at_once(app, [post_refund(staff_headers("support"), order.id, reason="Goodwill"),
                              post_cancel(staff_headers("admin"), order.id)])
    settled()
    codes = sorted(r.status_code for r in responses)
    assert codes in ([200, 200], [200, 422])
    assert sum(r["amount"] for r in refunds_at_stripe(stripe_standin)) == order.total
    db.session.expire_all()
    stored = db.session.get(Order, order.id)
    assert stored.refunded_total == order.total
    assert stored.status in (CANCELLED, REFUNDED)


def _post_event(app, standin, event):
    payload = json.dumps(event).encode()
    return app.test_client().post("/api/v1/stripe/webhook", data=payload, headers={
        "Stripe-Signature": standin.sign(payload), "Content-Type": "application/json"})


@pytest.mark.parametrize("stripe_answers", ["at_once", "late"])
def test_refunds_cancellations_and_their_webhooks_racing_never_deadlock_and_count_once(
        app, paid_order, staff_headers, stripe_standin, settled, caplog, stripe_answers):
    # given four paid orders, and staff who refund two of them and cancel the other two, twice over
    orders = [paid_order(quantity=2) for _ in range(4)]
    headers = [staff_headers("support"), staff_headers("admin")]
    if stripe_answers == "late":  # Stripe makes each refund (and sends its webhooks) before it answers
        stripe_standin.delay_next(4, 0.3, path="/v1/refunds", when="after")
    finished = threading.Event()
    webhook_answers: list[int] = []

    def storm():
        """Stripe's refund webhooks again and again, from another thread, while the requests run."""
        with app.app_context():
            while not finished.is_set():
                for event in stripe_standin.events()[::-1]:
                    if event["type"].startswith("refund.") or event["type"] == "charge.refunded":
                        webhook_answers.append(_post_event(app, stripe_standin, event).status_code)
                db.session.remove()

    calls = []
    for index, order in enumerate(orders):
        for staff in headers:
            calls.append(post_refund(staff, order.id, key=f"desk-{order.id}", amount=3000, reason="Goodwill")
                         if index < 2 else post_cancel(staff, order.id))
    storms = [threading.Thread(target=storm) for _ in range(2)]
    for thread in storms:
        thread.start()
    try:
        with caplog.at_level("WARNING"):
            answers = at_once(app, calls)
            settled()
    finally:
        finished.set()
        for thread in storms:
            thread.join(30)
    # then every request answered 200, nothing deadlocked, every webhook was acknowledged
    assert [r.status_code for r in answers] == [200] * 8
    assert "deadlock" not in caplog.text.lower()
    assert set(webhook_answers) <= {200}
    # and each order was refunded once: 3000 for the refunds, everything for the cancellations
    db.session.expire_all()
    for index, order in enumerate(orders):
        stored = db.session.get(Order, order.id)
        made = db.session.scalars(select(Refund).where(Refund.order_id == order.id,
                                                       Refund.status == REFUND_SUCCEEDED)).all()
        if index < 2:
            assert ([r.amount for r in made], stored.status, stored.refunded_total) == (
                [3000], PARTIALLY_REFUNDED, 3000)
        else:
            assert ([r.amount for r in made], stored.status, stored.refunded_total) == (
                [order.total], CANCELLED, order.total)
    assert len(refunds_at_stripe(stripe_standin)) == 4
