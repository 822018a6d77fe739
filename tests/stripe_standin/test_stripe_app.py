"""The `stripe_app` fixture: the shop's own gateway talks to the stand-in, webhooks come back."""
from shop.payments import stripe_gateway
from tests.stripe_standin.conftest import session_params


def test_the_shop_gateway_works_against_the_stand_in(stripe_app, stripe_standin):
    # given a session created through the shop's gateway
    created = stripe_gateway.create_checkout_session(session_params(), idempotency_key="order-1-checkout")

    # when the customer pays and Stripe tells the shop
    stripe_standin.pay(created.id)
    deliveries = stripe_standin.wait_for_deliveries(len(stripe_standin.events()))

    # then every event reached the shop's endpoint, signed with the shop's secret, and was taken
    assert [d["status"] for d in deliveries] == [200] * 4, deliveries
    paid = stripe_gateway.retrieve_checkout_session(created.id)
    assert paid["payment_status"] == "paid"
    refund = stripe_gateway.create_refund(paid["payment_intent"], 1000, "claim-1-refund",
                                          {"claim_id": "1"})
    assert refund["status"] == "succeeded"
    assert [s["id"] for s in stripe_gateway.list_checkout_sessions(paid["created"])] == [created.id]
    assert [r["id"] for r in stripe_gateway.list_refunds(paid["created"])] == [refund["id"]]


def test_the_shop_verifies_what_the_stand_in_signs(stripe_app, stripe_standin):
    payload = b'{"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}'

    event = stripe_gateway.construct_event(payload, stripe_standin.sign(payload))

    assert event["id"] == "evt_1"
