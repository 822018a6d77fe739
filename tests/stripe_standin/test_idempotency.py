"""Idempotency keys, as Stripe honours them: same request replayed, other parameters refused."""
import pytest
import requests
import stripe

from tests.stripe_fixtures import STANDIN_API_KEY
from tests.stripe_standin.conftest import session_params


def test_the_same_key_and_parameters_replay_the_first_answer(stripe_client):
    # given
    first = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-7"})

    # when
    again = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-7"})

    # then
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [s.id for s in stripe_client.v1.checkout.sessions.list().data] == [first.id]


def test_the_same_key_with_other_parameters_is_refused(stripe_client):
    stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-7"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        stripe_client.v1.checkout.sessions.create(session_params(client_reference_id="8"),
                                                  {"idempotency_key": "order-7"})

    assert refused.value.http_status == 400
    assert refused.value.json_body["error"]["type"] == "idempotency_error"
    assert len(stripe_client.v1.checkout.sessions.list().data) == 1


def test_errors_are_replayed_too(stripe_client, stripe_standin):
    # given a refund refused for its amount
    session = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_standin.pay(session.id)
    intent = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    params = {"payment_intent": intent, "amount": 99_999}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params, {"idempotency_key": "refund-1"})

    # when retried with the same key
    with pytest.raises(stripe.InvalidRequestError) as replayed:
        stripe_client.v1.refunds.create(params, {"idempotency_key": "refund-1"})

    # then
    assert replayed.value.code == "amount_too_large"
    assert replayed.value.headers["Idempotent-Replayed"] == "true"


def test_keys_belong_to_one_api_key(stripe_client, stripe_standin):
    other = stripe.StripeClient("sk_test_other_account", base_addresses={"api": stripe_standin.url})
    first = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})

    second = other.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})

    assert second.id != first.id


def test_a_request_that_failed_before_running_is_not_remembered(stripe_client, stripe_standin):
    stripe_standin.fail_next(1)
    with pytest.raises(stripe.APIError):
        stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})

    created = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})

    assert created.status == "open"
    assert "Idempotent-Replayed" not in created.last_response.headers


def test_a_request_refused_for_its_parameters_leaves_the_key_unused(stripe_client):
    # given a request refused by validation, under a key
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(session_params(mode=None), {"idempotency_key": "k"})
    assert refused.value.json_body["error"]["param"] == "mode"

    # when the corrected request is sent with the same key
    created = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})

    # then it runs: Stripe saves a result only once the endpoint began to run
    assert created.status == "open"
    assert "Idempotent-Replayed" not in created.last_response.headers


def test_a_key_is_forgotten_after_24_hours(stripe_client, stripe_standin):
    # given a key used a day ago (the stand-in's clock moved on)
    first = stripe_client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k"})
    stripe_standin.advance_clock(24 * 3600 - 1)
    assert stripe_client.v1.checkout.sessions.create(
        session_params(), {"idempotency_key": "k"}).id == first.id  # still kept a second before
    stripe_standin.advance_clock(1)

    # when it is used again, even with other parameters
    second = stripe_client.v1.checkout.sessions.create(session_params(client_reference_id="8"),
                                                       {"idempotency_key": "k"})

    # then it is a new request
    assert second.id != first.id
    assert "Idempotent-Replayed" not in second.last_response.headers


def test_form_encoding_from_any_http_client_is_read_like_the_sdks(stripe_standin):
    # given nested keys written by hand, as curl users write them
    form = {"mode": "payment", "success_url": "http://shop.test/ok",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": "1234",
            "line_items[0][price_data][product_data][name]": "Zinc",
            "line_items[0][quantity]": "3", "metadata[order_id]": "9",
            "expand[]": "line_items"}

    response = requests.post(f"{stripe_standin.url}/v1/checkout/sessions", data=form,
                             auth=(STANDIN_API_KEY, ""), timeout=5)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["amount_total"] == 3702 and body["metadata"] == {"order_id": "9"}
    assert body["line_items"]["data"][0]["description"] == "Zinc"
    assert response.headers["Request-Id"].startswith("req_")
