"""The webhook refuses anything Stripe did not sign, and never acknowledges what it did not store."""
import json
import time

import pytest

from shop import create_app
from shop.orders.models import PENDING_PAYMENT
from tests.conftest import _test_config
from tests.payments.conftest import events_recorded, order_status
from tests.payments.stripe_events import checkout_session, deliver, event, signed

WEBHOOK = "/api/v1/stripe/webhook"


def _completed(order) -> tuple[bytes, dict]:
    evt = event("checkout.session.completed", checkout_session(order))
    return json.dumps(evt).encode(), evt


def _assert_refused(response, order):
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and body["status"] == "Bad Request" and body["errors"] == {}
    assert "whsec" not in response.get_data(as_text=True)
    assert events_recorded() == 0
    assert order_status(order) == PENDING_PAYMENT


def test_wrong_secret_is_refused(client, pending_order):
    # given an order waiting for payment
    order, _ = pending_order()
    payload, _ = _completed(order)
    # when an event signed with another secret arrives
    response = client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": signed(payload, "whsec_other")})
    # then it is refused and nothing changes
    _assert_refused(response, order)


def test_missing_signature_is_refused(client, pending_order):
    order, _ = pending_order()
    payload, _ = _completed(order)
    response = client.post(WEBHOOK, data=payload, content_type="application/json")
    _assert_refused(response, order)
    assert "Stripe-Signature" in response.get_json()["message"]


def test_tampered_body_is_refused(client, pending_order):
    order, _ = pending_order()
    payload, evt = _completed(order)
    header = signed(payload, "whsec_test_secret")
    evt["data"]["object"]["amount_total"] = 1
    response = client.post(WEBHOOK, data=json.dumps(evt).encode(), headers={"Stripe-Signature": header})
    _assert_refused(response, order)


def test_stale_timestamp_is_refused(client, pending_order):
    # given a correctly signed event whose timestamp is more than 300 s old (a replayed capture)
    order, _ = pending_order()
    payload, _ = _completed(order)
    header = signed(payload, "whsec_test_secret", timestamp=int(time.time()) - 301)
    # when it is delivered
    response = client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": header})
    # then it is refused
    _assert_refused(response, order)


def test_future_timestamp_is_refused(client, pending_order):
    # given a correctly signed event dated more than 300 s ahead (made to stay replayable longer)
    order, _ = pending_order()
    payload, _ = _completed(order)
    header = signed(payload, "whsec_test_secret", timestamp=int(time.time()) + 301)
    # when it is delivered
    response = client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": header})
    # then it is refused, as a stale one is
    _assert_refused(response, order)


def test_a_clock_slightly_ahead_is_tolerated(client, pending_order):
    order, _ = pending_order()
    payload, _ = _completed(order)
    header = signed(payload, "whsec_test_secret", timestamp=int(time.time()) + 60)
    response = client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": header})
    assert response.status_code == 200 and response.get_json()["outcome"] == "paid"


def test_garbage_signature_header_is_refused(client, pending_order):
    order, _ = pending_order()
    payload, _ = _completed(order)
    response = client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": "t=abc,v1=zzz"})
    _assert_refused(response, order)


def test_signed_non_json_is_refused(client, pending_order):
    order, _ = pending_order()
    payload = b"not json at all"
    response = client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": signed(payload, "whsec_test_secret")})
    _assert_refused(response, order)


def test_a_fresh_signature_is_accepted(client, pending_order):
    # the control case: same order, properly signed → 200
    order, _ = pending_order()
    response = deliver(client, event("checkout.session.completed", checkout_session(order)))
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "paid"}


def test_database_down_answers_5xx_so_stripe_retries(tmp_path):
    # given an app whose database cannot be reached
    config = _test_config(f"sqlite:///{tmp_path}/missing/dir/shop.sqlite3", tmp_path)
    app = create_app(config)
    evt = event("checkout.session.completed", {"object": "checkout.session", "id": "cs_test_x",
                                                "metadata": {"order_id": "1"}, "payment_status": "paid"})
    # when a correctly signed event arrives
    with app.app_context():
        response = deliver(app.test_client(), evt)
    # then it is not acknowledged (Stripe will deliver it again), and no detail leaks
    assert 500 <= response.status_code < 600
    assert response.get_json()["code"] == response.status_code
    assert "sqlite" not in response.get_data(as_text=True).lower()


def test_an_empty_body_is_refused(client):
    response = client.post(WEBHOOK, data=b"", headers={"Stripe-Signature": signed(b"", "whsec_test_secret")})
    assert response.status_code == 400
    assert events_recorded() == 0


def test_a_signed_event_without_an_id_is_acknowledged_and_ignored(client):
    # given a correctly signed body that is no event at all
    body = b"{}"
    response = client.post(WEBHOOK, data=body, headers={"Stripe-Signature": signed(body, "whsec_test_secret")})
    # then it is acknowledged (Stripe would retry a refusal for days), and nothing is recorded
    assert response.status_code == 200 and response.get_json()["outcome"] == "malformed"
    assert events_recorded() == 0
