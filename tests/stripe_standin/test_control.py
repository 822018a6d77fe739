"""The /_standin/ control endpoints: the same powers as the Python API, over HTTP."""
import requests
import stripe

from tests.stripe_standin.conftest import session_params


def _post(standin, path, **body):
    return requests.post(f"{standin.url}/_standin{path}", json=body, timeout=5)


def test_pay_refund_dispute_and_inspect_over_http(stripe_client, stripe_standin):
    # given
    session = stripe_client.v1.checkout.sessions.create(session_params())

    # when
    paid = _post(stripe_standin, f"/sessions/{session.id}/pay").json()
    refund = _post(stripe_standin, "/refunds", payment_intent=paid["payment_intent"],
                   amount=300).json()
    dispute = _post(stripe_standin, "/disputes", payment_intent=paid["payment_intent"])

    # then
    assert paid["payment_status"] == "paid"
    assert (refund["object"], refund["amount"]) == ("refund", 300)
    assert dispute.json()["object"] == "dispute"
    stripe_standin.wait_for_deliveries(7)
    hooks = requests.get(f"{stripe_standin.url}/_standin/webhooks", timeout=5).json()
    assert [d["type"] for d in hooks["deliveries"]] == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "checkout.session.completed", "refund.created", "charge.refunded", "charge.dispute.created"]
    events = requests.get(f"{stripe_standin.url}/_standin/events", timeout=5).json()["events"]
    assert len(events) == 7


def test_faults_over_http(stripe_client, stripe_standin):
    assert _post(stripe_standin, "/faults/fail", count=1, status=500).status_code == 200

    try:
        stripe_client.v1.checkout.sessions.list()
    except stripe.APIError as exc:
        assert exc.http_status == 500
    else:
        raise AssertionError("the injected 500 did not come")


def test_bad_control_requests_answer_in_stripes_error_shape(stripe_standin):
    answer = _post(stripe_standin, "/sessions/cs_test_nope/pay")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "resource_missing"
    assert _post(stripe_standin, "/faults/meteor").status_code == 404
    assert _post(stripe_standin, "/faults/decline-refund", code="bogus").status_code == 400


def test_reset_forgets_everything(stripe_client, stripe_standin):
    stripe_client.v1.checkout.sessions.create(session_params())

    assert _post(stripe_standin, "/reset").status_code == 200

    assert stripe_client.v1.checkout.sessions.list().data == []
    assert requests.get(f"{stripe_standin.url}/_standin/", timeout=5).json()["endpoints"]
