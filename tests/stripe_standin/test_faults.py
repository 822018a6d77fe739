"""Injected faults reach the SDK as Stripe's would: 500s, timeouts, slow answers."""
import pytest
import stripe

from tests.stripe_fixtures import STANDIN_API_KEY
from tests.stripe_standin.conftest import session_params


def _client(standin, *, timeout=5, retries=0):
    return stripe.StripeClient(STANDIN_API_KEY, base_addresses={"api": standin.url},
                               http_client=stripe.RequestsClient(timeout=timeout),
                               max_network_retries=retries)


def test_a_500_reaches_the_sdk_as_an_api_error(stripe_client, stripe_standin):
    stripe_standin.fail_next(1)

    with pytest.raises(stripe.APIError) as failed:
        stripe_client.v1.checkout.sessions.create(session_params())

    assert failed.value.http_status == 500
    assert stripe_client.v1.checkout.sessions.list().data == []
    assert stripe_client.v1.checkout.sessions.create(session_params()).status == "open"


def test_the_sdk_retries_a_500_with_the_same_idempotency_key(stripe_standin, monkeypatch):
    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds", lambda *a: 0)
    stripe_standin.fail_next(1)

    session = _client(stripe_standin, retries=2).v1.checkout.sessions.create(
        session_params(), {"idempotency_key": "order-1"})

    assert session.status == "open"
    assert len(stripe_standin.account.sessions) == 1


def test_faults_can_be_aimed_at_one_path(stripe_client, stripe_standin):
    stripe_standin.fail_next(1, status=503, path="/v1/refunds")

    stripe_client.v1.checkout.sessions.create(session_params())  # untouched
    with pytest.raises(stripe.APIError) as failed:
        stripe_client.v1.refunds.list()

    assert failed.value.http_status == 503


def test_a_slow_answer_times_the_client_out(stripe_standin):
    stripe_standin.delay_next(1, 1.0)

    with pytest.raises(stripe.APIConnectionError):
        _client(stripe_standin, timeout=0.2).v1.checkout.sessions.create(session_params())


def test_a_slow_answer_after_the_work_leaves_the_work_done(stripe_standin):
    # given a create that runs, then answers too late for the client
    stripe_standin.delay_next(1, 1.0, when="after")
    client = _client(stripe_standin, timeout=0.2)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-2"})

    # when the caller retries with the same key
    retried = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "order-2"})

    # then it gets the session created the first time, not a second one
    assert list(stripe_standin.account.sessions) == [retried.id]
