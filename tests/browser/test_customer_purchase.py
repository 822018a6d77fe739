"""A customer buys in a real browser: product page → cart → the stand-in's pay page → paid."""
import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import Order


def test_a_customer_buys_through_the_stripe_pay_page(live_shop, page, screenshot, make_product, stripe_standin):
    # Given a published product, and the demo store's shipping rates and WELCOME10
    from shop.demo import seed_demo_checkout

    make_product(slug="mag-rr", name="Mag R&R")
    seed_demo_checkout()
    db.session.commit()

    # When a customer adds it to the cart from its page
    page.goto(f"{live_shop.url}/products/mag-rr")
    expect(page.get_by_role("heading", name="Mag R&R").first).to_be_visible()
    screenshot(page, "shop-product")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live_shop.url}/cart")
    screenshot(page, "shop-cart")

    # ... checks out with an email, and on the stand-in's hosted page gives an address, picks
    # Express, applies WELCOME10 and pays
    page.get_by_label("Email for your receipt and dosing reminders").fill("buyer@example.com")
    page.get_by_role("button", name="Checkout").click()
    expect(page).to_have_url(re.compile("^" + re.escape(stripe_standin.url)))
    expect(page.get_by_role("heading", name="Pay 98.00 USD")).to_be_visible()  # Standard: free from 75.00
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Address line 1").fill("10 Navy Yard")
    page.get_by_label("City").fill("Arlington")
    page.get_by_label("State or province").fill("VA")
    page.get_by_label("Postal code").fill("22202")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Phone number").fill("+1 703 555 0100")
    page.get_by_label(re.compile("^Express")).check()
    page.get_by_label("Promotion code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    # 98.00 - 9.80 + 14.95 (no tax: STRIPE_AUTOMATIC_TAX is off)
    expect(page.get_by_role("heading", name="Pay 103.15 USD")).to_be_visible()
    screenshot(page, "stripe-pay-page")
    page.get_by_role("button", name="Pay 103.15 USD").click()

    # Then they are back on the shop's success page, and Stripe's webhook marks the order paid
    # with what Stripe charged and where it goes
    expect(page).to_have_url(re.compile("^" + re.escape(f"{live_shop.url}/checkout/success")))
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    order = _wait_for_paid("buyer@example.com")
    page.reload()
    expect(page.get_by_text("Payment received.")).to_be_visible()
    screenshot(page, "shop-success")
    assert (order.status, order.total) == ("paid", 10315)
    assert order.amounts == {"subtotal": 9800, "shipping": 1495, "discount": 980, "tax": 0, "total": 10315}
    assert order.shipping_address["city"] == "Arlington" and order.shipping_rate_name == "Express"


def _wait_for_paid(email: str, timeout: float = 10.0) -> Order:
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        order = db.session.scalar(select(Order).where(Order.email == email))
        if order is not None and order.status == "paid" or time.monotonic() > deadline:
            db.session.rollback()
            return order
        time.sleep(0.1)
