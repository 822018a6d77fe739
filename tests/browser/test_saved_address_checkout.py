"""A signed-in customer's saved address is filled in on Stripe's pay page (the stand-in's), and
the address she pays with becomes the saved one."""
import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import Order
from tests.browser.test_customer_account import _link_from_outbox


def _wait_for_paid(email: str, timeout: float = 10.0) -> Order:
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        order = db.session.scalar(select(Order).where(Order.email == email))
        db.session.rollback()
        if order is not None and order.status == "paid" or time.monotonic() > deadline:
            return order
        time.sleep(0.1)


def test_the_saved_address_is_filled_in_on_the_pay_page_and_the_paid_one_is_kept(
        live_shop, page, screenshot, make_product, stripe_standin):
    make_product(slug="mag-rr", name="Mag R&R")
    # Given Jane signed in by the emailed link
    page.goto(f"{live_shop.url}/account/login")
    page.get_by_label("Your email address").fill("jane@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.goto(_link_from_outbox("jane@example.com"))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_shop.url}/account")

    # When she saves her shipping address on the account page
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Address *", exact=True).fill("1 Elm St")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State / region").fill("IL")
    page.get_by_label("ZIP / postal code").fill("62701")
    page.get_by_label("Phone (optional)").fill("+1 217 555 0100")
    page.get_by_role("button", name="Save the address").click()
    expect(page.get_by_text("Your shipping address is saved.")).to_be_visible()
    screenshot(page, "account-saved-address")

    # ... and buys: the cart knows her email, and Stripe's page shows her address already
    page.goto(f"{live_shop.url}/products/mag-rr")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_label("Email for your receipt and dosing reminders")).to_have_value("jane@example.com")
    page.get_by_role("button", name="Checkout").click()
    expect(page).to_have_url(re.compile("^" + re.escape(stripe_standin.url)))
    # Then the address is filled in
    expect(page.get_by_label("Full name")).to_have_value("Jane Doe")
    expect(page.get_by_label("Address line 1")).to_have_value("1 Elm St")
    expect(page.get_by_label("City")).to_have_value("Springfield")
    expect(page.get_by_label("State or province")).to_have_value("IL")
    expect(page.get_by_label("Postal code")).to_have_value("62701")
    expect(page.get_by_label("Country")).to_have_value("US")
    expect(page.get_by_label("Phone number")).to_have_value("+1 217 555 0100")
    screenshot(page, "stripe-pay-page-saved-address")

    # When she moves one line and pays
    page.get_by_label("Address line 2 (optional)").fill("Apt 4")
    page.get_by_role("button", name=re.compile("^Pay [0-9.]+ USD$")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(f"{live_shop.url}/checkout/success")))
    order = _wait_for_paid("jane@example.com")
    assert order is not None and order.status == "paid" and order.shipping_line2 == "Apt 4"

    # Then her account shows the address she paid with as the saved one
    page.goto(f"{live_shop.url}/account#address")
    expect(page.get_by_label("Apartment, suite (optional)")).to_have_value("Apt 4")
    expect(page.get_by_label("Address *", exact=True)).to_have_value("1 Elm St")
    assert page.problems == []
