"""Stripe promises no order: the stand-in can deliver events reversed, shuffled, and at once."""
import json
import threading

import requests

from tests.stripe_standin.conftest import session_params

PAYMENT = ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
           "checkout.session.completed"]


class Endpoint:
    """Records the event types it receives, in the order they arrive."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []

    def __call__(self, body, headers):
        with self.lock:
            self.received.append(json.loads(body)["type"])
        return 200


def test_a_payments_events_can_arrive_in_reverse(stripe_client, stripe_standin):
    endpoint = Endpoint()
    stripe_standin.deliver_to(endpoint)
    stripe_standin.configure_webhooks(order="reverse")
    session = stripe_client.v1.checkout.sessions.create(session_params())

    stripe_standin.pay(session.id)
    stripe_standin.wait_for_deliveries(4)

    assert endpoint.received == PAYMENT[::-1]
    assert [e["type"] for e in stripe_standin.events()] == PAYMENT  # as they happened


def test_held_events_are_released_shuffled(stripe_client, stripe_standin):
    # given a payment and a refund held back
    endpoint = Endpoint()
    stripe_standin.deliver_to(endpoint)
    stripe_standin.configure_webhooks(order="shuffle", seed=3)
    stripe_standin.pause_webhooks()
    session = stripe_client.v1.checkout.sessions.create(session_params())
    intent = stripe_standin.pay(session.id)["payment_intent"]
    stripe_standin.dashboard_refund(intent)
    happened = [e["type"] for e in stripe_standin.events()]

    # when they are let go
    stripe_standin.resume_webhooks()
    stripe_standin.wait_for_deliveries(len(happened))

    # then each arrives once, in another order
    assert sorted(endpoint.received) == sorted(happened)
    assert endpoint.received != happened


def test_several_threads_deliver_at_once(stripe_client, stripe_standin):
    # given an endpoint that answers only once two deliveries are inside it together
    together = threading.Barrier(2, timeout=5)

    def endpoint(body, headers):
        together.wait()
        return 200

    stripe_standin.deliver_to(endpoint)
    stripe_standin.configure_webhooks(workers=2)
    session = stripe_client.v1.checkout.sessions.create(session_params())

    # when a payment's four events go out
    stripe_standin.pay(session.id)

    # then they arrived two by two, each at its first attempt
    deliveries = stripe_standin.wait_for_deliveries(4, timeout=10)
    assert [(d["state"], len(d["attempts"])) for d in deliveries] == [("delivered", 1)] * 4


def test_an_endpoint_gets_only_the_events_it_is_enabled_for(stripe_client, stripe_standin):
    endpoint = Endpoint()
    stripe_standin.deliver_to(endpoint)
    stripe_standin.configure_webhooks(events=["checkout.session.*", "charge.refunded"])
    session = stripe_client.v1.checkout.sessions.create(session_params())

    stripe_standin.dashboard_refund(stripe_standin.pay(session.id)["payment_intent"])
    stripe_standin.wait_for_deliveries(2)

    assert endpoint.received == ["checkout.session.completed", "charge.refunded"]
    assert len(stripe_standin.deliveries()) == 2


def test_the_knobs_over_http(stripe_standin):
    config = f"{stripe_standin.url}/_standin/webhooks/config"

    assert requests.post(config, json={"order": "shuffle", "workers": 3, "seed": 1,
                                       "events": ["charge.*"]}, timeout=5).status_code == 200
    assert (stripe_standin.dispatcher.order, stripe_standin.dispatcher.workers) == ("shuffle", 3)
    refused = requests.post(config, json={"order": "sideways"}, timeout=5)
    assert (refused.status_code, refused.json()["error"]["param"]) == (400, "order")
    clock = requests.post(f"{stripe_standin.url}/_standin/clock", json={"advance": 60}, timeout=5)
    assert clock.status_code == 200
