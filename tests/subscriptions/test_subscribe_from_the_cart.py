"""Subscribe & save from the product page: the buy box offers it, the cart keeps it, the
cart's checkout opens a subscription-mode session."""
import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.subscriptions.models import Subscription
from tests.stripe_fixtures import csrf_from


@pytest.fixture
def shop(browser_stripe_app):
    return browser_stripe_app


@pytest.fixture
def browser(shop):
    return shop.test_client()


def add(browser, slug, purchase="once", quantity=1, **extra):
    page = browser.get(f"/products/{slug}").get_data(as_text=True)
    return browser.post("/cart/add", data={"csrf_token": csrf_from(page), "slug": slug, "quantity": quantity,
                                           "purchase": purchase, **extra})


def test_the_product_page_offers_subscribe_and_save_only_when_the_product_has_a_discount(browser, make_product):
    make_product(slug="mag-rr", price=4900, stock=5, subscription_discount_percent=15)
    make_product(slug="plain", price=1900, stock=5, subscription_discount_percent=None)

    offered = browser.get("/products/mag-rr").get_data(as_text=True)
    plain = browser.get("/products/plain").get_data(as_text=True)

    assert "Subscribe &amp; save 15%: $41.65 a bottle" in offered and "One-time purchase: $49.00" in offered
    assert 'name="purchase"' not in plain and "Subscribe" not in plain


def test_a_subscribed_line_checks_out_as_a_subscription(browser, make_product, stripe_standin):
    make_product(slug="mag-rr", name="Mag R&R", price=4900, stock=5, subscription_discount_percent=15)

    assert add(browser, "mag-rr", "subscribe", 2).status_code == 303
    cart = browser.get("/cart").get_data(as_text=True)
    assert "Mag R&amp;R — subscribe &amp; save 15%" in cart and "$83.30" in cart

    answer = browser.post("/cart/checkout", data={"csrf_token": csrf_from(cart), "email": "ada@example.com"})

    assert answer.status_code == 303 and answer.headers["Location"].startswith(stripe_standin.url)
    sub = db.session.scalar(select(Subscription))
    assert (sub.quantity, sub.unit_price) == (2, 4165)
    session_id = answer.headers["Location"].rstrip("/").split("/")[-1]
    assert stripe_standin.session(session_id)["mode"] == "subscription"


def test_subscribing_takes_in_the_one_time_bottles_and_one_time_is_refused_once_subscribed(browser, make_product):
    make_product(slug="mag-rr", name="Mag R&R", price=4900, stock=9, subscription_discount_percent=15)

    add(browser, "mag-rr", "once", 1)
    add(browser, "mag-rr", "subscribe", 1)
    refused = add(browser, "mag-rr", "once", 1)
    cart = browser.get("/cart").get_data(as_text=True)

    assert refused.status_code == 303
    assert "in your cart on subscription" in cart
    assert 'value="mag-rr~subscribe"' in cart and 'value="mag-rr"' not in cart
    assert "$83.30" in cart  # 2 bottles at the subscriber's price


@pytest.mark.parametrize("slug, extra, message", [
    ("plain", {}, "This product cannot be subscribed to"),
    ("other", {}, "One subscription per order"),
    ("mag-rr", {"bundle": 3}, "A bundle cannot be subscribed to"),
])
def test_what_cannot_be_subscribed_stays_out_of_the_cart(browser, make_product, slug, extra, message):
    mag = make_product(slug="mag-rr", price=4900, stock=9, subscription_discount_percent=15)
    assert 3 in [bundle.bottles for bundle in mag.bundles]
    make_product(slug="plain", price=1900, stock=5, subscription_discount_percent=None)
    make_product(slug="other", price=1900, stock=5, subscription_discount_percent=10)
    if slug == "other":
        add(browser, "mag-rr", "subscribe")

    add(browser, slug, "subscribe", 1, **extra)
    cart = browser.get("/cart").get_data(as_text=True)

    assert message in cart
    assert f'value="{slug}~subscribe"' not in cart and f'value="{slug}*3"' not in cart
