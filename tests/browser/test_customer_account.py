"""A customer signs in to their account in a real browser: the emailed link, both orders, the
marketing switch, and their data as a download."""
import json
import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from shop.emails.models import EmailMessage, EmailSuppression
from shop.extensions import db
from shop.orders.models import DELIVERED


def _link_from_outbox(to: str, timeout: float = 10.0) -> str:
    """The sign-in link of the newest sign-in email to `to` (the email log is the outbox)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        message = db.session.scalars(select(EmailMessage).where(
            EmailMessage.to == to, EmailMessage.kind == "account_sign_in").order_by(EmailMessage.id.desc())).first()
        db.session.rollback()
        if message is not None or time.monotonic() > deadline:
            assert message is not None, f"no sign-in email to {to}"
            return re.search(r"(http://\S+/account/login/\S+)", message.body_text).group(1)
        time.sleep(0.1)


def test_a_customer_signs_in_sees_both_orders_turns_marketing_off_and_downloads_their_data(
        live_shop, page, screenshot, make_product, make_order):
    # Given two orders placed as a guest with two spellings of one address
    mag_rr = make_product(slug="mag-rr", name="Mag R&R")
    first, _ = make_order(mag_rr, email="Jane@Example.com")
    second, _ = make_order(mag_rr, email="jane@example.com", status=DELIVERED)

    # When she asks for a sign-in link from the account page
    page.goto(f"{live_shop.url}/account")
    expect(page).to_have_url(f"{live_shop.url}/account/login")
    page.get_by_label("Your email address").fill("jane@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    screenshot(page, "account-link-sent")

    # ... and opens the link from her email
    page.goto(_link_from_outbox("jane@example.com"))
    expect(page.get_by_role("heading", name="Sign in as jane@example.com?")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()

    # Then she sees both orders
    expect(page).to_have_url(f"{live_shop.url}/account")
    expect(page.get_by_role("heading", name=f"Order {first.id}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Order {second.id}")).to_be_visible()
    screenshot(page, "account-orders")

    # When she turns check-ins and reorder reminders off
    page.get_by_role("button", name="Turn off check-ins and reminders").click()
    expect(page.get_by_text("Check-ins and reorder reminders are off.")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on check-ins and reminders")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(EmailSuppression.email)) == "jane@example.com"
    db.session.rollback()

    # ... and downloads her data
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert download.value.suggested_filename == "my-data.json"
    assert sorted(order["id"] for order in data["orders"]) == [first.id, second.id]
    assert data["suppressions"][0]["email"] == "jane@example.com"

    # ... and one of the orders opens from the account
    page.get_by_role("link", name=f"Open order {second.id}").click()
    expect(page.get_by_role("heading", name=f"Order {second.id}")).to_be_visible()
    assert page.problems == []
