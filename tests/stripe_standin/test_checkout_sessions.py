"""Checkout Sessions through the official SDK: create, retrieve, list, expire, and refusals."""
import time

import pytest
import stripe

from stripe_standin.params import StripeError
from tests.stripe_standin import stripe_fields
from tests.stripe_standin.conftest import line_item, session_params


def test_a_created_session_is_shaped_like_stripes(stripe_client, stripe_standin):
    # when
    session = stripe_client.v1.checkout.sessions.create(session_params())

    # then
    body = session.to_dict()
    assert set(body) == stripe_fields.CHECKOUT_SESSION
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_total == session.amount_subtotal == 2 * 2900 + 1500
    assert session.currency == "eur"
    assert session.url == f"{stripe_standin.url}/pay/{session.id}"
    assert session.client_reference_id == "42"
    assert session.customer_email == "ada@example.com"
    assert session.metadata.to_dict() == {"order_id": "42"}
    assert session.payment_intent is None  # created when the customer pays
    assert session.livemode is False
    assert session.expires_at - session.created == 24 * 3600


def test_retrieve_expands_line_items_and_the_payment(stripe_client, stripe_standin):
    # given
    session = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_standin.pay(session.id)

    # when
    found = stripe_client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["line_items", "payment_intent.latest_charge"]})

    # then
    items = found.line_items.data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [
        ("Magnesium glycinate", 2, 5800), ("Vitamin D3", 1, 1500)]
    assert set(items[0].to_dict()) == stripe_fields.LINE_ITEM
    intent = found.payment_intent
    assert set(intent.to_dict()) == stripe_fields.PAYMENT_INTENT
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 7300, 7300)
    charge = intent.latest_charge
    assert set(charge.to_dict()) == stripe_fields.CHARGE
    assert charge.payment_method_details.card.brand == "visa"
    assert charge.payment_method_details.card.last4 == "4242"
    assert stripe_client.v1.payment_intents.retrieve(intent.id).latest_charge == charge.id
    assert stripe_client.v1.charges.retrieve(charge.id).amount == 7300


def test_line_items_have_their_own_list(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(session_params())

    items = stripe_client.v1.checkout.sessions.line_items.list(session.id, {"limit": 1})

    assert [i.description for i in items.auto_paging_iter()] == ["Magnesium glycinate", "Vitamin D3"]


def test_list_pages_through_every_session_created_since(stripe_client):
    # given 23 sessions
    since = int(time.time()) - 1
    created = [stripe_client.v1.checkout.sessions.create(session_params()).id for _ in range(23)]

    # when
    first = stripe_client.v1.checkout.sessions.list({"created": {"gte": since}, "limit": 10})
    listed = [s.id for s in first.auto_paging_iter()]

    # then: newest first, all of them, once each, across three pages
    assert first.has_more is True and len(first.data) == 10
    assert listed == list(reversed(created))
    assert stripe_client.v1.checkout.sessions.list({"created": {"gt": int(time.time()) + 5}}).data == []


def test_expire_closes_an_open_session_and_tells_the_webhook(stripe_client, stripe_standin):
    # given
    session = stripe_client.v1.checkout.sessions.create(session_params())

    # when
    expired = stripe_client.v1.checkout.sessions.expire(session.id)

    # then
    assert (expired.status, expired.url) == ("expired", None)
    [event] = stripe_standin.events()
    assert event["type"] == "checkout.session.expired"
    assert event["data"]["object"]["id"] == session.id
    with pytest.raises(stripe.InvalidRequestError, match="status of \"expired\""):
        stripe_client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(StripeError, match="no longer be paid"):
        stripe_standin.pay(session.id)


@pytest.mark.parametrize(("params", "param", "message"), [
    (session_params(line_items=None), "line_items", "Missing required param"),
    (session_params(success_url=None), "success_url", "Missing required param"),
    (session_params(mode="setup"), "mode", "mode=payment"),
    (session_params(mode="subscription"), "line_items", "at least one recurring price"),
    (session_params(line_items=[line_item(quantity=0)]), "line_items[0][quantity]", "greater than"),
    (session_params(line_items=[line_item(unit_amount=-1)]), "line_items[0][price_data][unit_amount]",
     "greater than"),
    (session_params(line_items=[line_item(), line_item(currency="usd")]), "line_items",
     "same currency"),
    (session_params(line_items=[{"price": "price_123", "quantity": 1}]), "line_items[0][price]",
     "No such price"),
    (session_params(customer_email="not-an-email"), "customer_email", "Invalid email"),
    (session_params(expires_at=int(time.time()) + 60), "expires_at", "30 minutes"),
    (session_params(shipping_rates=["shr_1"]), "shipping_rates", "unknown parameter"),
    # removed in API version 2026-09-30 (allowed_payment_method_types replaces it)
    (session_params(payment_method_types=["card"]), "payment_method_types", "unknown parameter"),
    # renamed in API version 2026-03-25: hosted_page, embedded_page, elements
    (session_params(ui_mode="hosted"), "ui_mode", "must be one of elements, embedded_page, or hosted_page"),
    (session_params(ui_mode="popup"), "ui_mode", "must be one of"),
])
def test_bad_parameters_are_refused_like_stripe_refuses_them(stripe_client, params, param, message):
    with pytest.raises(stripe.InvalidRequestError, match=message) as refused:
        stripe_client.v1.checkout.sessions.create(params)

    assert refused.value.param == param
    assert refused.value.http_status in (400, 404)
    assert stripe_client.v1.checkout.sessions.list().data == []


@pytest.mark.parametrize(("lifetime", "accepted"), [
    (30 * 60 - 5, False), (30 * 60 + 5, True), (24 * 3600 - 5, True), (24 * 3600 + 5, False)])
def test_a_session_lives_between_30_minutes_and_24_hours(stripe_client, lifetime, accepted):
    params = session_params(expires_at=int(time.time()) + lifetime)

    if accepted:
        assert stripe_client.v1.checkout.sessions.create(params).status == "open"
    else:
        with pytest.raises(stripe.InvalidRequestError, match="30 minutes") as refused:
            stripe_client.v1.checkout.sessions.create(params)
        assert (refused.value.http_status, refused.value.param) == (400, "expires_at")
        assert refused.value.json_body["error"]["type"] == "invalid_request_error"


def test_the_parameters_of_the_pinned_api_version_are_taken(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(session_params(
        ui_mode="hosted_page", allowed_payment_method_types=["card", "sepa_debit"],
        excluded_payment_method_types=["sepa_debit"]))

    assert (session.ui_mode, session.payment_method_types) == ("hosted_page", ["card"])


def test_a_charge_carries_its_payment_intents_metadata(stripe_client, stripe_standin):
    # given a session whose payment intent is given the order's id
    session = stripe_client.v1.checkout.sessions.create(session_params(
        payment_intent_data={"metadata": {"order_id": "42"}}))

    # when it is paid
    stripe_standin.pay(session.id)

    # then the charge, and the events about it, carry it too
    [succeeded] = stripe_standin.events("charge.succeeded")
    assert succeeded["data"]["object"]["metadata"] == {"order_id": "42"}
    charge = stripe_client.v1.charges.retrieve(succeeded["data"]["object"]["id"])
    assert charge.metadata.to_dict() == {"order_id": "42"}
    [intent_event] = stripe_standin.events("payment_intent.succeeded")
    assert intent_event["data"]["object"]["latest_charge"] == charge.id


def test_an_unknown_session_is_a_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


@pytest.mark.parametrize("key", ["", "sk_live_0123456789", "pk_test_0123456789"])
def test_requests_without_a_test_secret_key_are_unauthorised(stripe_standin, key):
    client = stripe.StripeClient(key, base_addresses={"api": stripe_standin.url})

    with pytest.raises(stripe.AuthenticationError) as refused:
        client.v1.checkout.sessions.list()

    assert refused.value.http_status == 401
    assert set(refused.value.json_body["error"]) >= {"type", "code", "message", "param"}


def test_a_session_past_its_expiry_expires_by_itself(stripe_client, stripe_standin):
    # given a session of half an hour, and the clock moved on by that
    session = stripe_client.v1.checkout.sessions.create(
        session_params(expires_at=int(time.time()) + 30 * 60 + 5))
    stripe_standin.advance_clock(30 * 60 + 5)

    # when anyone next asks
    found = stripe_client.v1.checkout.sessions.retrieve(session.id)

    # then
    assert found.status == "expired"
    [event] = stripe_standin.events()
    assert (event["type"], event["request"]["id"]) == ("checkout.session.expired", None)
