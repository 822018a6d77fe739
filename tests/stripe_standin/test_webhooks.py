"""Webhooks: signed as Stripe signs them, sent from a background thread, retried with back-off."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.stripe_standin import stripe_fields
from tests.stripe_standin.conftest import session_params

# An endpoint enabled for one event type: a payment sends four events, these tests follow one.
COMPLETED_ONLY = ["checkout.session.completed"]


class Recorder:
    """A webhook endpoint (a callable target) answering from a script of status codes."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.received = []

    def __call__(self, body, headers):
        self.received.append((body, headers))
        return self.statuses.pop(0) if self.statuses else 200


def test_an_event_verifies_with_the_secret_and_not_with_another(stripe_client, stripe_standin):
    # given
    stripe_standin.configure_webhooks(events=COMPLETED_ONLY)
    endpoint = Recorder()
    stripe_standin.deliver_to(endpoint)
    session = stripe_client.v1.checkout.sessions.create(session_params())

    # when the customer pays
    stripe_standin.pay(session.id)
    stripe_standin.wait_for_deliveries(1)

    # then
    [(body, headers)] = endpoint.received
    assert headers["Content-Type"].startswith("application/json")
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"],
                                           stripe_standin.webhook_secret)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b"paid", b"PAID"), headers["Stripe-Signature"],
                                       stripe_standin.webhook_secret)


def test_events_are_shaped_like_stripes(stripe_client, stripe_standin):
    session = stripe_client.v1.checkout.sessions.create(session_params(),
                                                        {"idempotency_key": "order-42"})

    stripe_client.v1.checkout.sessions.expire(session.id)

    [event] = stripe_standin.events()
    assert set(event) == stripe_fields.EVENT
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["api_version"] == "2026-10-28.endive"
    assert event["livemode"] is False and event["pending_webhooks"] == 1
    assert event["request"]["id"].startswith("req_")
    assert set(event["data"]["object"]) == stripe_fields.CHECKOUT_SESSION
    listed = stripe_client.v1.events.list({"type": "checkout.session.*"})
    assert [e.id for e in listed.data] == [event["id"]]
    assert stripe_client.v1.events.retrieve(event["id"]).type == "checkout.session.expired"


def test_a_failing_endpoint_is_retried_until_it_answers(stripe_client, stripe_standin):
    # given an endpoint down twice (500, then an exception), then fine
    calls = []

    def flaky(body, headers):
        calls.append(headers["Stripe-Signature"])
        if len(calls) == 1:
            return 500
        if len(calls) == 2:
            raise ConnectionError("database is down")
        return 200

    stripe_standin.configure_webhooks(events=COMPLETED_ONLY)
    stripe_standin.deliver_to(flaky)
    session = stripe_client.v1.checkout.sessions.create(session_params())

    # when
    stripe_standin.pay(session.id)
    [delivery] = stripe_standin.wait_for_deliveries(1)

    # then
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, None, 200]
    assert "database is down" in delivery["attempts"][1]["error"]
    assert all(c.startswith("t=") and ",v1=" in c for c in calls)  # each attempt signed


def test_an_endpoint_that_never_answers_2xx_is_given_up_after_the_last_attempt(
        stripe_client, stripe_standin):
    stripe_standin.configure_webhooks(events=COMPLETED_ONLY)
    stripe_standin.configure_webhooks(attempts=3)
    stripe_standin.deliver_to(Recorder(503, 503, 503, 200))
    session = stripe_client.v1.checkout.sessions.create(session_params())

    stripe_standin.pay(session.id)
    [delivery] = stripe_standin.wait_for_deliveries(1)

    assert delivery["state"] == "failed"
    assert [a["status"] for a in delivery["attempts"]] == [503, 503, 503]


def test_the_api_call_never_waits_for_the_delivery(stripe_client, stripe_standin):
    # given an endpoint that blocks until the test lets it go
    release = threading.Event()
    stripe_standin.deliver_to(lambda body, headers: 200 if release.wait(5) else 500)
    first = stripe_client.v1.checkout.sessions.create(session_params())
    second = stripe_client.v1.checkout.sessions.create(session_params())

    # when both are expired while the first delivery is stuck
    stripe_client.v1.checkout.sessions.expire(first.id)
    stripe_client.v1.checkout.sessions.expire(second.id)

    # then both calls returned, and the deliveries wait their turn
    assert [d["state"] for d in stripe_standin.deliveries()] == ["pending", "pending"]
    release.set()
    assert [d["state"] for d in stripe_standin.wait_for_deliveries(2)] == ["delivered"] * 2


def test_deliveries_reach_a_url(stripe_client, stripe_standin):
    # given a plain HTTP endpoint on a free port
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        stripe_standin.configure_webhooks(events=COMPLETED_ONLY)
        stripe_standin.deliver_to(f"http://127.0.0.1:{server.server_port}/hook")
        session = stripe_client.v1.checkout.sessions.create(session_params())

        # when
        stripe_standin.pay(session.id)
        [delivery] = stripe_standin.wait_for_deliveries(1)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    # then
    assert (delivery["state"], delivery["status"]) == ("delivered", 204)
    [(body, signature)] = received
    assert stripe.Webhook.construct_event(body, signature, stripe_standin.webhook_secret).id == \
        delivery["event_id"]


def test_a_refused_connection_is_retried_then_given_up(stripe_client, stripe_standin):
    stripe_standin.configure_webhooks(events=COMPLETED_ONLY)
    stripe_standin.configure_webhooks(attempts=2)
    stripe_standin.deliver_to("http://127.0.0.1:9/nobody-listens")
    session = stripe_client.v1.checkout.sessions.create(session_params())

    stripe_standin.pay(session.id)
    [delivery] = stripe_standin.wait_for_deliveries(1)

    assert delivery["state"] == "failed"
    assert all(a["status"] is None and a["error"] for a in delivery["attempts"])


def test_paused_events_can_be_delivered_in_any_order(stripe_client, stripe_standin):
    # given two events held back
    endpoint = Recorder()
    stripe_standin.deliver_to(endpoint)
    stripe_standin.pause_webhooks()
    session = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_standin.pay(session.id)
    intent = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    stripe_standin.dashboard_refund(intent)
    [completed, refunded, charge_refunded] = [
        stripe_standin.events(kind)[0]["id"]
        for kind in ("checkout.session.completed", "refund.created", "charge.refunded")]
    held = len(stripe_standin.events())

    # when they are dropped and resent, the later ones first, one of them twice
    stripe_standin.resume_webhooks(drop_pending=True)
    for event_id in (charge_refunded, refunded, completed, completed):
        stripe_standin.redeliver(event_id)
    stripe_standin.wait_for_deliveries(held + 4)

    # then
    delivered = [json.loads(body)["id"] for body, _ in endpoint.received]
    assert delivered == [charge_refunded, refunded, completed, completed]
    assert [d["state"] for d in stripe_standin.deliveries()] == ["dropped"] * held + ["delivered"] * 4


def test_without_an_endpoint_deliveries_are_recorded_as_skipped(stripe_client, stripe_standin):
    session = stripe_client.v1.checkout.sessions.create(session_params())

    stripe_standin.pay(session.id)

    deliveries = stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    assert {d["state"] for d in deliveries} == {"skipped"}
