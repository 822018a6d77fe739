"""The cart and checkout pages, with CSRF protection on, against the Stripe stand-in."""
import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import PAID, PENDING_PAYMENT, Order
from tests.stripe_fixtures import csrf_from


@pytest.fixture
def shop(browser_stripe_app):
    return browser_stripe_app


@pytest.fixture
def browser(shop):
    return shop.test_client()


def add_to_cart(browser, slug, quantity=1):
    page = browser.get(f"/products/{slug}").get_data(as_text=True)
    return browser.post("/cart/add", data={"csrf_token": csrf_from(page), "slug": slug, "quantity": quantity})


def test_product_page_offers_add_to_cart(browser, make_product):
    make_product(slug="mag-rr", stock=5)
    html = browser.get("/products/mag-rr").get_data(as_text=True)
    assert 'action="/cart/add"' in html and "Add to cart" in html and 'max="5"' in html


def test_sold_out_product_offers_no_cart_button(browser, make_product):
    make_product(slug="mag-rr", stock=0)
    assert "Add to cart" not in browser.get("/products/mag-rr").get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(browser, make_product):
    make_product(slug="mag-rr", stock=5)
    response = browser.post("/cart/add", data={"slug": "mag-rr", "quantity": 1})
    assert response.status_code == 400
    assert "Mag R&amp;R" not in browser.get("/cart").get_data(as_text=True)


def test_add_change_remove(browser, make_product):
    # given two products
    make_product(slug="mag-rr", name="Mag R&R", stock=50, price=4900)
    make_product(slug="calm", name="Calm", stock=50, price=1000)
    # when a visitor adds 2 Mag R&R and 1 Calm
    response = add_to_cart(browser, "mag-rr", 2)
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    add_to_cart(browser, "calm", 1)
    cart = browser.get("/cart").get_data(as_text=True)
    # then the cart shows both and the total
    assert "Mag R&amp;R" in cart and "Calm" in cart and "$108.00" in cart
    # when they change Mag R&R to 3
    token = csrf_from(cart)
    response = browser.post("/cart/update", data={"csrf_token": token, "slug": "mag-rr", "quantity": 3})
    assert response.status_code == 303
    assert "$157.00" in browser.get("/cart").get_data(as_text=True)
    # when they remove Calm
    browser.post("/cart/remove", data={"csrf_token": token, "slug": "calm"})
    cart = browser.get("/cart").get_data(as_text=True)
    assert "Calm" not in cart and "$147.00" in cart
    # and setting a quantity of 0 empties the line
    browser.post("/cart/update", data={"csrf_token": token, "slug": "mag-rr", "quantity": 0})
    assert "Your cart is empty" in browser.get("/cart").get_data(as_text=True)


def test_unknown_product_is_not_added(browser, make_product):
    make_product(slug="mag-rr", stock=5)
    page = browser.get("/products/mag-rr").get_data(as_text=True)
    response = browser.post("/cart/add", data={"csrf_token": csrf_from(page), "slug": "nope", "quantity": 1},
                            follow_redirects=True)
    assert "not available" in response.get_data(as_text=True)


def test_checkout_redirects_to_stripe_and_success_page_waits_for_the_webhook(browser, make_product, stripe_standin):
    # given a cart with 2 units and webhooks held back (Stripe is slow today)
    make_product(slug="mag-rr", stock=10)
    add_to_cart(browser, "mag-rr", 2)
    stripe_standin.pause_webhooks()
    token = csrf_from(browser.get("/cart").get_data(as_text=True))
    # when the customer checks out
    response = browser.post("/cart/checkout", data={"csrf_token": token, "email": "buyer@example.com"})
    # then they are sent to Stripe's page (303) with an order waiting for payment
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert response.headers["Location"] == stripe_standin.session(order.stripe_checkout_session_id)["url"]
    assert order.status == PENDING_PAYMENT
    # when they pay and come back before the webhook arrived
    stripe_standin.pay(order.stripe_checkout_session_id)
    page = browser.get(f"/checkout/success?session_id={order.stripe_checkout_session_id}")
    # then the page shows the order, says payment is being confirmed, and marks nothing paid
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "confirming your payment" in html
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == PENDING_PAYMENT
    # when the webhook arrives
    stripe_standin.resume_webhooks()
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    # then the same page says paid, the cart is empty, and the order page is open to this browser
    html = browser.get(f"/checkout/success?session_id={order.stripe_checkout_session_id}").get_data(as_text=True)
    assert "Payment received" in html
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == PAID
    assert "Your cart is empty" in browser.get("/cart").get_data(as_text=True)
    assert browser.get(f"/orders/{order.id}").status_code == 200


def test_checkout_with_a_bad_email_stays_on_the_cart(browser, make_product):
    make_product(slug="mag-rr", stock=10)
    add_to_cart(browser, "mag-rr")
    token = csrf_from(browser.get("/cart").get_data(as_text=True))
    response = browser.post("/cart/checkout", data={"csrf_token": token, "email": "nope"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert "valid email" in browser.get("/cart").get_data(as_text=True)
    assert db.session.scalar(select(Order)) is None


def test_checkout_beyond_stock_stays_on_the_cart(browser, make_product):
    product = make_product(slug="mag-rr", stock=10)
    add_to_cart(browser, "mag-rr", 5)
    product.stock = 3  # others bought meanwhile
    db.session.commit()
    token = csrf_from(browser.get("/cart").get_data(as_text=True))
    response = browser.post("/cart/checkout", data={"csrf_token": token, "email": "a@example.com"},
                            follow_redirects=True)
    assert "Only 3 left" in response.get_data(as_text=True)


def test_success_page_for_an_unknown_session_is_404(browser):
    assert browser.get("/checkout/success?session_id=cs_test_nope").status_code == 404
    assert browser.get("/checkout/success").status_code == 404


def test_cancel_page_keeps_the_cart(browser, make_product):
    make_product(slug="mag-rr", stock=10)
    add_to_cart(browser, "mag-rr")
    html = browser.get("/checkout/cancel").get_data(as_text=True)
    assert "Payment cancelled" in html and "still here" in html


def test_the_cart_summary_totals_its_lines_in_their_currency(app, make_product):
    from shop.cart import services as cart
    from shop.money import DEFAULT_CURRENCY

    make_product(slug="night", price=2450, currency="eur", stock=10)
    make_product(slug="day", price=1000, currency="eur", stock=10)
    gone = make_product(slug="gone", price=500, currency="eur", stock=10)
    with app.test_request_context():
        # given an empty cart, it comes to nothing in the shop's default currency
        empty = cart.summary()
        assert (empty.lines, empty.total, empty.currency) == ([], 0, DEFAULT_CURRENCY)
        # when three products are added, and one of them is hidden from the shop since
        cart.add("night", 2)
        cart.add("gone", 3)
        cart.add("day", 1)
        gone.published = False
        db.session.commit()
        summary = cart.summary()
    # then the hidden one drops out, and the rest total in their own currency
    assert [(line.product.slug, line.quantity, line.line_total) for line in summary.lines] == [
        ("night", 2, 4900), ("day", 1, 1000)]
    assert (summary.total, summary.currency) == (5900, "eur")


def test_the_cart_page_shows_the_summary(browser, make_product):
    make_product(slug="night", name="Night Oil", price=2450, currency="eur", stock=10)
    add_to_cart(browser, "night", 2)
    html = browser.get("/cart").get_data(as_text=True)
    assert "€49.00" in html and 'max="99"' in html


def test_a_bundle_goes_from_the_product_page_to_the_cart_and_through_checkout(browser, mag_rr, stripe_standin):
    # given Mag R&R's page, which offers its 3-bottle bundle beside the single bottle
    page = browser.get("/products/mag-rr").get_data(as_text=True)
    assert 'name="bundle" value="3"' in page and "Add 3 bottles, save 15%: $124.95" in page
    # when the shopper adds the bundle and one single bottle
    response = browser.post("/cart/add", data={"csrf_token": csrf_from(page), "slug": "mag-rr", "bundle": "3",
                                               "quantity": "1"})
    assert response.status_code == 303
    add_to_cart(browser, "mag-rr", 1)
    # then the cart shows both lines at their prices
    html = browser.get("/cart").get_data(as_text=True)
    assert "Mag R&amp;R — 3 bottles, save 15%" in html and "$124.95" in html and "$173.95" in html
    # and the checkout buys the bundle at its price, holding four bottles, and pays at Stripe
    stock_before = mag_rr.stock
    browser.post("/cart/checkout", data={"csrf_token": csrf_from(html), "email": "buyer@example.com"})
    order = db.session.scalar(select(Order))
    assert order.total == 17395
    assert sorted((i.bottles_per_unit, i.quantity, i.unit_price) for i in order.items) == [(1, 1, 4900), (3, 1, 12495)]
    db.session.expire_all()
    assert db.session.get(type(mag_rr), mag_rr.id).stock == stock_before - 4
    stripe_standin.pay(order.stripe_checkout_session_id)
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == PAID


def test_a_bundle_the_product_does_not_offer_stays_out_of_the_cart(browser, mag_rr):
    page = browser.get("/products/mag-rr").get_data(as_text=True)
    response = browser.post("/cart/add", data={"csrf_token": csrf_from(page), "slug": "mag-rr", "bundle": "6"},
                            follow_redirects=True)
    assert "That bundle is not offered" in response.get_data(as_text=True)
    assert "Your cart is empty" in browser.get("/cart").get_data(as_text=True)
