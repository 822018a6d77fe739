"""A customer subscribes from the product page in a real browser: subscribe & save on Mag R&R →
cart → the stand-in's pay page → a live subscription on the order page."""
import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.subscriptions.models import Subscription


def test_a_customer_subscribes_from_the_product_page(live_shop, page, screenshot, make_product, stripe_standin):
    # Given Mag R&R on subscribe & save at 15 %
    make_product(slug="mag-rr", name="Mag R&R", price=4900, stock=20, subscription_discount_percent=15)

    # When a customer chooses "subscribe & save" on its page and adds it to the cart
    page.goto(f"{live_shop.url}/products/mag-rr")
    page.get_by_label(re.compile("Subscribe & save 15%")).check()
    screenshot(page, "shop-product-subscribe")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live_shop.url}/cart")
    expect(page.get_by_role("link", name="Mag R&R — subscribe & save 15%")).to_be_visible()

    # ... checks out, and pays the first bottle at the subscriber's price on the stand-in's page
    page.get_by_label("Email for your receipt and dosing reminders").fill("sub@example.com")
    page.get_by_role("button", name="Checkout").click()
    expect(page).to_have_url(re.compile("^" + re.escape(stripe_standin.url)))
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Address line 1").fill("10 Navy Yard")
    page.get_by_label("City").fill("Arlington")
    page.get_by_label("State or province").fill("VA")
    page.get_by_label("Postal code").fill("22202")
    page.get_by_label("Phone number").fill("+1 703 555 0100")
    page.get_by_role("button", name="Pay 41.65 USD").click()

    # Then the shop holds a live subscription at Stripe, and the order page shows it
    expect(page).to_have_url(re.compile("^" + re.escape(f"{live_shop.url}/checkout/success")))
    sub = _wait_for_subscription("sub@example.com")
    assert sub is not None and sub.stripe_subscription_id and sub.status == "trialing"
    assert (sub.quantity, sub.unit_price) == (1, 4165)
    page.get_by_role("link", name="View your order").click()
    expect(page.get_by_role("heading", name="Subscribe & save")).to_be_visible()
    expect(page.get_by_text("1 × Mag R&R every 30 days.")).to_be_visible()
    screenshot(page, "shop-subscription-order")


def _wait_for_subscription(email: str, timeout: float = 10.0) -> Subscription | None:
    from shop.orders.models import Order

    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        sub = db.session.scalar(select(Subscription).join(Order, Order.id == Subscription.order_id)
                                .where(Order.email == email))
        if sub is not None and sub.status == "trialing" or time.monotonic() > deadline:
            db.session.rollback()
            return sub
        time.sleep(0.1)
