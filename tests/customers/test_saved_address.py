"""The saved shipping address: typed on the account page, or the one a signed-in checkout paid
with; Stripe Checkout shows it through the customer's Stripe Customer."""
import pytest
from sqlalchemy import select

from shop.customers.models import Customer
from shop.extensions import db
from shop.orders.models import CANCELLED, Order
from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_app, stripe_client

JANE = "jane@example.com"
HOME = {"name": "Jane Doe", "line1": "1 Elm St", "line2": "", "city": "Springfield", "state": "IL",
        "postal_code": "62701", "country": "US", "phone": "+12175550100"}
NEW_HOME = {"name": "Jane Doe", "address": {"line1": "350 5th Ave", "line2": "Floor 3", "city": "New York",
                                            "state": "NY", "postal_code": "10118", "country": "US"}}


def _customer() -> Customer:
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.email == JANE))


def _saved(customer: Customer) -> tuple:
    return (customer.shipping_name, customer.shipping_line1, customer.shipping_city, customer.shipping_state,
            customer.shipping_postal_code, customer.shipping_country)


@pytest.fixture
def shopper(stripe_app, sign_in, mag_rr):
    """A browser of the Stripe-wired app, signed in as Jane; mag-rr in stock."""
    return sign_in(stripe_app.test_client(), JANE)


def _checkout(client, email=JANE):
    answer = client.post("/api/v1/checkout", json={"email": email, "items": [{"slug": "mag-rr", "quantity": 1}]})
    assert answer.status_code == 201, answer.json
    return answer.json


def _settle(stripe_standin):
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    db.session.expire_all()


# --- the account page ------------------------------------------------------------------------

def test_the_customer_saves_an_address_on_the_account_page(client, sign_in):
    # Given a signed-in customer with no address yet
    sign_in(client, JANE)
    assert b"Save an address" in client.get("/account").data
    # When she saves one
    saved = client.post("/account/address", data=HOME)
    # Then it is kept (the empty line2 as nothing) and the page shows it in the form
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/account#address")
    assert _saved(_customer()) == ("Jane Doe", "1 Elm St", "Springfield", "IL", "62701", "US")
    assert _customer().shipping_line2 is None and _customer().shipping_phone == "+12175550100"
    page = client.get("/account").data.decode()
    assert 'value="1 Elm St"' in page and '<option value="US" selected>' in page


@pytest.mark.parametrize("change, field", [
    ({"line1": "  "}, "line1"),
    ({"postal_code": "ABC"}, "postal_code"),
    ({"country": "FR"}, "country"),
    ({"state": ""}, "state"),
    ({"name": "x" * 300}, "name"),
    ({"phone": "+1\n555"}, "phone"),
])
def test_a_malformed_address_is_refused_and_nothing_changes(client, sign_in, change, field):
    sign_in(client, JANE)
    client.post("/account/address", data=HOME)
    # When she sends a part that cannot be right
    refused = client.post("/account/address", data={**HOME, "city": "Chicago", **change})
    # Then the page says which part, keeps what she typed, and the saved address is as before
    assert refused.status_code == 422
    page = refused.data.decode()
    assert f'id="saved-{field}-error"' in page and 'value="Chicago"' in page
    assert _customer().shipping_city == "Springfield"


def test_saving_an_address_needs_a_signed_in_customer(client):
    answer = client.post("/account/address", data=HOME)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account/login")
    assert db.session.scalar(select(Customer)) is None


def test_the_customer_removes_the_saved_address(client, sign_in):
    # Given a signed-in customer with a saved address
    sign_in(client, JANE)
    client.post("/account/address", data=HOME)
    assert b"Remove the saved address" in client.get("/account").data
    # When she removes it
    removed = client.post("/account/address/forget")
    # Then nothing of it is kept, and the page offers to save one again
    assert removed.status_code == 303 and removed.headers["Location"].endswith("/account#address")
    assert _saved(_customer()) == (None,) * 6 and _customer().shipping_phone is None
    page = client.get("/account").data.decode()
    assert "Your saved address is removed" in page and "Save an address" in page
    assert "Remove the saved address" not in page and 'value="1 Elm St"' not in page
    # And removing it again says there was none
    client.post("/account/address/forget")
    assert "No address was saved." in client.get("/account").data.decode()


def test_removing_an_address_needs_a_signed_in_customer(client, sign_in):
    answer = client.post("/account/address/forget")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account/login")


# --- Stripe Checkout --------------------------------------------------------------------------

def test_a_signed_in_checkout_is_made_for_one_stripe_customer_with_the_saved_address(shopper, stripe_standin):
    # Given a saved address
    shopper.post("/account/address", data=HOME)
    # When she checks out twice
    first = _checkout(shopper)
    second = _checkout(shopper)
    # Then one Stripe Customer was made, with her email and the address, and both sessions are its
    customers = list(stripe_standin.account.customers.values())
    assert len(customers) == 1
    made = customers[0]
    assert made["email"] == JANE and made["shipping"]["address"]["line1"] == "1 Elm St"
    assert made["shipping"]["name"] == "Jane Doe" and made["shipping"]["phone"] == "+12175550100"
    assert _customer().stripe_customer_id == made["id"]
    for body in (first, second):
        session = stripe_standin.session(body["stripe_checkout_session_id"])
        assert session["customer"] == made["id"] and session["customer_email"] is None
        assert stripe_standin.account.intent_data[session["id"]]["customer_update"]["shipping"] == "auto"


def test_a_guest_checkout_and_one_for_another_address_attach_no_customer(stripe_app, shopper, stripe_standin):
    # Given Jane signed in in one browser, and a guest in another
    guest = stripe_app.test_client()
    # When the guest checks out with Jane's address, and Jane for a friend's
    sessions = [_checkout(guest), _checkout(shopper, email="friend@example.com")]
    # Then neither session is made for a Stripe Customer: each names its email only
    for body, email in zip(sessions, (JANE, "friend@example.com")):
        session = stripe_standin.session(body["stripe_checkout_session_id"])
        assert session["customer"] is None and session["customer_email"] == email
    assert stripe_standin.account.customers == {}


def test_the_address_paid_with_becomes_the_saved_one(shopper, stripe_standin, stripe_client):
    # Given a saved address and a checkout made for her Stripe Customer
    shopper.post("/account/address", data=HOME)
    body = _checkout(shopper)
    # When she ships this order to New York instead, and pays
    stripe_standin.pay(body["stripe_checkout_session_id"], shipping_details=NEW_HOME, phone="+12125550100")
    _settle(stripe_standin)
    # Then the order ships there, the account's saved address is New York, and Stripe's Customer has it
    customer = _customer()
    assert _saved(customer) == ("Jane Doe", "350 5th Ave", "New York", "NY", "10118", "US")
    assert customer.shipping_phone == "+12125550100" and not customer.stripe_shipping_outdated
    assert stripe_client.v1.customers.retrieve(customer.stripe_customer_id).shipping.address.city == "New York"
    assert b'value="350 5th Ave"' in shopper.get("/account").data


def test_a_first_signed_in_checkout_without_a_saved_address_saves_the_one_paid_with(shopper, stripe_standin):
    body = _checkout(shopper)
    assert stripe_standin.account.customers[_customer().stripe_customer_id]["shipping"] is None
    stripe_standin.pay(body["stripe_checkout_session_id"], shipping_details=NEW_HOME)
    _settle(stripe_standin)
    assert _customer().shipping_city == "New York"


def test_a_guest_order_with_her_address_does_not_change_what_she_saved(stripe_app, shopper, stripe_standin):
    # Given Jane's saved address
    shopper.post("/account/address", data=HOME)
    # When someone checks out as a guest with her email and ships elsewhere
    body = _checkout(stripe_app.test_client())
    stripe_standin.pay(body["stripe_checkout_session_id"], shipping_details=NEW_HOME)
    _settle(stripe_standin)
    # Then her saved address is unchanged
    assert _customer().shipping_city == "Springfield"


def test_an_address_changed_on_the_page_reaches_stripe_with_the_next_checkout(shopper, stripe_standin):
    # Given a Stripe Customer made at her first checkout
    shopper.post("/account/address", data=HOME)
    _checkout(shopper)
    stripe_id = _customer().stripe_customer_id
    # When she saves another address on the account page
    shopper.post("/account/address", data={**HOME, "line1": "9 Oak Ave", "city": "Peoria", "postal_code": "61602"})
    # Then Stripe has not been told yet; her next checkout tells it, once
    assert stripe_standin.account.customers[stripe_id]["shipping"]["address"]["city"] == "Springfield"
    assert _customer().stripe_shipping_outdated
    _checkout(shopper)
    _checkout(shopper)
    assert stripe_standin.account.customers[stripe_id]["shipping"]["address"]["city"] == "Peoria"
    assert not _customer().stripe_shipping_outdated
    assert len(stripe_standin.account.customers) == 1
    assert len(stripe_standin.events("customer.updated")) == 1


def test_a_removed_address_leaves_the_stripe_customer_with_the_next_checkout(shopper, stripe_standin):
    # Given a Stripe Customer made with her saved address
    shopper.post("/account/address", data=HOME)
    _checkout(shopper)
    stripe_id = _customer().stripe_customer_id
    assert stripe_standin.account.customers[stripe_id]["shipping"]["address"]["city"] == "Springfield"
    # When she removes the address on the account page
    shopper.post("/account/address/forget")
    # Then her next checkout takes it off the Customer, so Checkout asks for one
    assert _customer().stripe_shipping_outdated
    _checkout(shopper)
    assert stripe_standin.account.customers[stripe_id]["shipping"] is None
    assert not _customer().stripe_shipping_outdated and _customer().stripe_customer_id == stripe_id


def test_stripe_failing_to_make_the_customer_cancels_the_order_and_saves_no_id(shopper, stripe_standin):
    # Given Stripe failing every request to /v1/customers
    stripe_standin.fail_next(10, status=500, path="/v1/customers")
    # When she checks out
    answer = shopper.post("/api/v1/checkout", json={"email": JANE, "items": [{"slug": "mag-rr", "quantity": 1}]})
    # Then she is told the payment provider failed, the order is cancelled and no id is kept
    assert answer.status_code == 502, answer.json
    assert _customer().stripe_customer_id is None
    assert db.session.scalars(select(Order.status)).all() == [CANCELLED]


def test_the_download_holds_the_saved_address_and_erasure_removes_it(client, sign_in):
    sign_in(client, JANE)
    client.post("/account/address", data=HOME)
    account = client.get("/account/data").get_json()["account"]
    assert account["shipping_address"]["line1"] == "1 Elm St" and account["stripe_customer_id"] is None
    from shop.customers.services import erase_customer_data

    erase_customer_data(JANE)
    db.session.commit()
    assert _customer() is None
