"""A captured webhook replayed later is refused: Stripe's signature covers a timestamp."""
import json
import time

from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import PAID, PENDING_PAYMENT
from shop.payments.models import StripeEvent
from tests.payments.stripe_events import checkout_session, event, signed


def test_an_old_signed_event_is_refused_and_changes_nothing(client, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=PENDING_PAYMENT)
    payload = json.dumps(event("checkout.session.completed", checkout_session(order))).encode()
    ten_minutes_ago = int(time.time()) - 600
    # when: correctly signed, but ten minutes ago (Stripe's tolerance is five)
    response = client.post("/api/v1/stripe/webhook", data=payload, headers={
        "Stripe-Signature": signed(payload, "whsec_test_secret", timestamp=ten_minutes_ago),
        "Content-Type": "application/json"})
    # then
    assert response.status_code == 400
    assert set(response.get_json()) == {"code", "status", "message", "errors"}
    db.session.expire_all()
    assert order.status == PENDING_PAYMENT
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_the_same_event_signed_now_is_accepted(client, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=PENDING_PAYMENT)
    payload = json.dumps(event("checkout.session.completed", checkout_session(order))).encode()
    response = client.post("/api/v1/stripe/webhook", data=payload, headers={
        "Stripe-Signature": signed(payload, "whsec_test_secret"), "Content-Type": "application/json"})
    assert response.status_code == 200
    db.session.expire_all()
    assert order.status == PAID
