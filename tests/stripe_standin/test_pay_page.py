"""The hosted pay page, driven by a real HTTP client as a customer's browser would."""
import re

import pytest
import requests

from tests.stripe_standin.conftest import session_params


@pytest.fixture
def session(stripe_client):
    return stripe_client.v1.checkout.sessions.create(session_params())


def _press(session, button):
    return requests.post(session.url, data={"action": button}, allow_redirects=False, timeout=5)


def test_the_page_shows_the_items_the_total_and_the_email(session):
    page = requests.get(session.url, timeout=5)

    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "Magnesium glycinate" in page.text and "Vitamin D3" in page.text
    assert "73.00 EUR" in page.text
    assert "ada@example.com" in page.text
    assert {"card", "bank_transfer", "cancel"} <= set(re.findall(r'value="(\w+)"', page.text))
    assert "style=" not in page.text and "<script" not in page.text


def test_pay_completes_the_session_and_returns_to_the_shop(stripe_client, stripe_standin, session):
    # when
    answer = _press(session, "card")

    # then
    assert answer.status_code == 303
    assert answer.headers["Location"] == \
        f"http://shop.test/checkout/success?session_id={session.id}"
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "ada@example.com"
    assert [e["type"] for e in stripe_standin.events()] == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "checkout.session.completed"]
    assert "complete" in requests.get(session.url, timeout=5).text


def test_a_bank_transfer_completes_unpaid_and_settles_later(stripe_client, stripe_standin, session):
    # when
    answer = _press(session, "bank_transfer")

    # then
    assert answer.status_code == 303
    pending = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    stripe_standin.async_succeed(session.id)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert [e["type"] for e in stripe_standin.events()] == [
        "payment_intent.created", "payment_intent.processing", "charge.pending",
        "checkout.session.completed",
        "charge.succeeded", "payment_intent.succeeded", "checkout.session.async_payment_succeeded"]


def test_a_failed_bank_transfer_stays_unpaid(stripe_client, stripe_standin, session):
    _press(session, "bank_transfer")

    stripe_standin.async_fail(session.id)

    failed = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert failed.payment_status == "unpaid"
    assert failed.payment_intent.status == "requires_payment_method"
    assert [e["type"] for e in stripe_standin.events()[-3:]] == [
        "charge.failed", "payment_intent.payment_failed", "checkout.session.async_payment_failed"]


def test_a_bank_transfer_can_settle_by_itself(stripe_client, stripe_standin, session):
    stripe_standin.account.async_delay = 0.05

    stripe_standin.pay_by_bank_transfer(session.id)

    stripe_standin.wait_for_deliveries(7)  # four when paid, three when settled
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_cancel_goes_back_and_leaves_the_session_open(stripe_client, stripe_standin, session):
    answer = _press(session, "cancel")

    assert (answer.status_code, answer.headers["Location"]) == (303, "http://shop.test/cart")
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_standin.events() == []


def test_an_expired_session_cannot_be_paid(stripe_client, stripe_standin, session):
    stripe_client.v1.checkout.sessions.expire(session.id)

    answer = _press(session, "card")

    assert answer.status_code == 409
    assert "expired" in answer.text
    assert [e["type"] for e in stripe_standin.events()] == ["checkout.session.expired"]


def test_an_unknown_session_has_no_page(stripe_standin):
    assert requests.get(f"{stripe_standin.url}/pay/cs_test_nope", timeout=5).status_code == 404


def test_the_front_page_lists_sessions_with_their_pay_links(stripe_standin, session):
    page = requests.get(stripe_standin.url + "/", timeout=5)

    assert page.status_code == 200
    assert f'href="/pay/{session.id}"' in page.text
