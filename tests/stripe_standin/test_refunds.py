"""Refunds and disputes through the SDK: what is left to refund, declines, pending refunds."""
import pytest
import stripe

from stripe_standin.params import StripeError
from tests.stripe_standin import stripe_fields
from tests.stripe_standin.conftest import session_params


@pytest.fixture
def paid(stripe_client, stripe_standin):
    """A paid session of 73.00 EUR: (session id, payment intent id, charge id)."""
    session = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_standin.pay(session.id)
    intent = stripe_client.v1.payment_intents.retrieve(
        stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    return session.id, intent.id, intent.latest_charge


# A card payment: payment_intent.created, charge.succeeded, payment_intent.succeeded and
# checkout.session.completed.
PAYMENT_EVENTS = 4


def _types(standin, since=PAYMENT_EVENTS):
    return [e["type"] for e in standin.events()[since:]]


def test_partial_then_full_refund(stripe_client, stripe_standin, paid):
    _, intent, charge = paid

    # when
    partial = stripe_client.v1.refunds.create(
        {"payment_intent": intent, "amount": 2000, "metadata": {"claim_id": "3"}},
        {"idempotency_key": "claim-3"})
    rest = stripe_client.v1.refunds.create({"charge": charge}, {"idempotency_key": "claim-4"})

    # then
    assert set(partial.to_dict()) == stripe_fields.REFUND
    assert (partial.status, partial.amount, partial.charge) == ("succeeded", 2000, charge)
    assert partial.metadata.to_dict() == {"claim_id": "3"}
    assert rest.amount == 7300 - 2000
    refunded = stripe_client.v1.charges.retrieve(charge)
    assert (refunded.amount_refunded, refunded.refunded) == (7300, True)
    assert _types(stripe_standin) == ["refund.created", "charge.refunded"] * 2
    assert stripe_standin.events("refund.created")[0]["request"]["idempotency_key"] == "claim-3"
    listed = stripe_client.v1.refunds.list({"payment_intent": intent, "limit": 1})
    assert [r.id for r in listed.auto_paging_iter()] == [rest.id, partial.id]


def test_a_charge_lists_its_refunds_only_when_asked_to(stripe_client, stripe_standin, paid):
    # given a charge refunded twice
    _, intent, charge = paid
    first = stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 1000})
    second = stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 300})

    # when it is read plainly, and with its refunds expanded
    plain = stripe_client.v1.charges.retrieve(charge)
    expanded = stripe_client.v1.charges.retrieve(charge, {"expand": ["refunds"]})

    # then only the second has them (newest first), as since API version 2022-11-15
    assert set(plain.to_dict()) == stripe_fields.CHARGE
    assert plain.amount_refunded == 1300
    assert [r.id for r in expanded.refunds.data] == [second.id, first.id]
    refunded_events = stripe_standin.events("charge.refunded")
    assert [stripe_fields.CHARGE_REFUNDS in e["data"]["object"] for e in refunded_events] == [False] * 2


def test_more_than_is_left_is_refused(stripe_client, stripe_standin, paid):
    _, intent, charge = paid
    stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 7000})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 301})

    assert (refused.value.http_status, refused.value.code) == (400, "amount_too_large")
    assert refused.value.param == "amount"
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 7000


def test_a_fully_refunded_charge_cannot_be_refunded_again(stripe_client, paid):
    _, intent, _ = paid
    stripe_client.v1.refunds.create({"payment_intent": intent})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create({"payment_intent": intent})

    assert refused.value.code == "charge_already_refunded"


def test_an_unpaid_session_has_nothing_to_refund(stripe_client, stripe_standin):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    stripe_standin.pay_by_bank_transfer(session.id)
    intent = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create({"payment_intent": intent})

    assert refused.value.code == "charge_not_refundable"


@pytest.mark.parametrize(("code", "error", "status"), [
    ("card_declined", stripe.CardError, 402),
    ("charge_already_refunded", stripe.InvalidRequestError, 400),
])
def test_a_declined_refund_changes_nothing(stripe_client, stripe_standin, paid, code, error, status):
    _, intent, charge = paid
    stripe_standin.decline_next_refund(code)

    with pytest.raises(error) as declined:
        stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 100})

    assert (declined.value.http_status, declined.value.code) == (status, code)
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 0
    assert stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 100}).amount == 100


def test_a_pending_refund_succeeds_later(stripe_client, stripe_standin, paid):
    # given
    _, intent, charge = paid
    stripe_standin.refunds_pending()
    refund = stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 500})
    assert refund.status == "pending"
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 500  # pending counts

    # when
    stripe_standin.settle_refund(refund.id)

    # then
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    assert _types(stripe_standin) == ["refund.created", "refund.updated", "charge.refunded"]
    updated = stripe_standin.events("refund.updated")[0]["data"]
    assert updated["previous_attributes"] == {"status": "pending"}


def test_a_failed_refund_gives_the_amount_back(stripe_client, stripe_standin, paid):
    _, intent, charge = paid
    stripe_standin.refunds_pending()
    refund = stripe_client.v1.refunds.create({"payment_intent": intent})

    stripe_standin.fail_refund(refund.id, reason="lost_or_stolen_card")

    failed = stripe_client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "lost_or_stolen_card")
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 0
    assert _types(stripe_standin) == ["refund.created", "refund.updated", "refund.failed"]
    with pytest.raises(StripeError):
        stripe_standin.settle_refund(refund.id)


def test_a_dashboard_refund_comes_with_no_request(stripe_client, stripe_standin, paid):
    _, intent, _ = paid

    refund = stripe_standin.dashboard_refund(intent, amount=1000, reason="requested_by_customer")

    event = stripe_standin.events("refund.created")[0]
    assert event["data"]["object"]["id"] == refund["id"]
    assert event["request"] == {"id": None, "idempotency_key": None}
    assert stripe_client.v1.refunds.retrieve(refund["id"]).reason == "requested_by_customer"


def test_a_dispute_is_announced_and_blocks_refunds(stripe_client, stripe_standin, paid):
    _, intent, charge = paid

    dispute = stripe_standin.open_dispute(intent)

    [event] = stripe_standin.events("charge.dispute.created")
    assert set(event["data"]["object"]) == stripe_fields.DISPUTE
    assert (dispute["charge"], dispute["amount"], dispute["payment_intent"]) == (charge, 7300, intent)
    assert stripe_client.v1.charges.retrieve(charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError, match="charged back"):
        stripe_client.v1.refunds.create({"payment_intent": intent})


def test_concurrent_refunds_never_take_more_than_the_charge(stripe_client, stripe_standin, paid):
    # given ten refunds of 10.00 racing for a 73.00 charge
    from concurrent.futures import ThreadPoolExecutor

    _, intent, charge = paid

    def refund(n):
        try:
            return stripe_client.v1.refunds.create({"payment_intent": intent, "amount": 1000},
                                                   {"idempotency_key": f"race-{n}"}).amount
        except stripe.InvalidRequestError as exc:
            return exc.code

    # when
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(refund, range(10)))

    # then
    assert sorted(outcomes, key=str) == [1000] * 7 + ["amount_too_large"] * 3
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 7000
