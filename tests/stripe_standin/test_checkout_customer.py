"""A Checkout Session made for a known Customer: its page shows the Customer's shipping address,
and `customer_update[shipping]=auto` saves the address paid with back onto the Customer."""
import re
from html import unescape

import pytest
import requests
import stripe

from tests.stripe_standin.conftest import BERLIN, NEW_YORK, session_params, shipping_session


def _value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', page)
    return unescape(found.group(1)) if found else None


@pytest.fixture
def grace(stripe_client):
    return stripe_client.v1.customers.create({"email": "grace@example.com", "shipping": {**NEW_YORK, "phone": "+12125550100"}})


def _session(stripe_client, customer_id, **overrides):
    return shipping_session(stripe_client, customer_email=None, customer=customer_id, **overrides)


def test_the_page_shows_the_customers_shipping_address_and_asks_no_email(stripe_client, grace):
    # Given a session made for a Customer with a shipping address
    session = _session(stripe_client, grace.id, customer_update={"shipping": "auto"})
    # When the customer opens the page
    page = requests.get(session.url, timeout=5).text
    # Then the address is filled in, the phone too, and the email is the Customer's (not asked)
    assert [_value(page, name) for name in ("name", "line1", "line2", "city", "state", "postal_code")] == [
        "Grace Hopper", "350 5th Ave", "Floor 3", "New York", "NY", "10118"]
    assert re.search(r'<option value="US" selected>', page)
    assert _value(page, "phone") == "+12125550100"
    assert _value(page, "email") is None


def test_paying_with_a_new_address_saves_it_on_the_customer_when_asked(stripe_client, stripe_standin, grace):
    # Given a session with customer_update[shipping]=auto
    session = _session(stripe_client, grace.id, customer_update={"shipping": "auto"})
    # When the customer pays, shipping to Berlin instead
    stripe_standin.pay(session.id, shipping_details=BERLIN, phone="+49301234567")
    # Then the session shipped there, paid as the Customer, and the Customer's address is Berlin now
    paid = stripe_standin.session(session.id)
    assert paid["customer"] == grace.id and paid["customer_details"]["email"] == "grace@example.com"
    customer = stripe_client.v1.customers.retrieve(grace.id)
    assert customer.shipping.name == "Emmy Noether" and customer.shipping.address.city == "Berlin"
    assert customer.shipping.phone == "+49301234567"
    updated = stripe_standin.events("customer.updated")
    assert updated and updated[-1]["data"]["previous_attributes"]["shipping"]["address"]["city"] == "New York"


def test_without_customer_update_the_customer_keeps_its_address(stripe_client, stripe_standin, grace):
    session = _session(stripe_client, grace.id)
    stripe_standin.pay(session.id, shipping_details=BERLIN)
    assert stripe_client.v1.customers.retrieve(grace.id).shipping.address.city == "New York"
    assert not stripe_standin.events("customer.updated")


def test_paying_without_typing_an_address_ships_to_the_saved_one(stripe_client, stripe_standin, grace):
    session = _session(stripe_client, grace.id, customer_update={"shipping": "auto"})
    stripe_standin.pay(session.id)
    shipped = stripe_standin.session(session.id)["collected_information"]["shipping_details"]
    assert shipped == {"name": "Grace Hopper", "address": NEW_YORK["address"]}


@pytest.mark.parametrize("params, param", [
    ({"customer_update": {"shipping": "auto"}}, "customer_update"),  # no customer
    ({"customer_email": None, "customer": "cus_missing", "customer_update": {"shipping": "auto"}}, "customer"),
    ({"customer_email": None, "customer": "GRACE", "customer_update": {"shipping": "sometimes"}},
     "customer_update[shipping]"),
    ({"customer_email": None, "customer": "GRACE", "customer_update": {"email": "auto"}}, "customer_update[email]"),
])
def test_customer_update_is_refused_as_stripe_refuses_it(stripe_client, grace, params, param):
    params = {k: grace.id if v == "GRACE" else v for k, v in params.items()}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(session_params(**params))
    assert refused.value.param == param
