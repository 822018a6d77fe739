"""POST /api/v1/checkout: reserve, open the order, create the Checkout Session through the SDK."""
import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import CANCELLED, PAID, PENDING_PAYMENT, Order
from shop.orders.services import token_digest
from tests.payments.conftest import count, emails


def _stock(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).stock


def test_checkout_reserves_stock_and_creates_the_session(checkout, make_product, stripe_standin):
    # given a product with 10 in stock
    product = make_product(slug="mag-rr", stock=10, price=4900)
    # when a customer checks out 3 of them
    response = checkout([{"slug": "mag-rr", "quantity": 3}])
    # then the order is open, the units are held, and Stripe has a session naming the order
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"order_id", "order_token", "status", "total", "currency", "checkout_url",
                         "stripe_checkout_session_id"}
    assert body["status"] == PENDING_PAYMENT and body["total"] == 14700 and body["currency"] == "usd"
    assert _stock(product) == 7
    order = db.session.get(Order, body["order_id"])
    assert order.token_hash == token_digest(body["order_token"]) and body["order_token"] not in order.token_hash
    session = stripe_standin.session(body["stripe_checkout_session_id"])
    assert session["client_reference_id"] == str(order.id)
    assert session["metadata"] == {"order_id": str(order.id)}
    assert session["customer_email"] == "buyer@example.com"
    assert session["amount_total"] == 14700
    assert body["checkout_url"] == session["url"]
    assert session["success_url"].startswith("http://shop.test/checkout/success?session_id=")


def test_paying_on_stripe_marks_the_order_paid_once(checkout, make_product, stripe_standin, run_app_tasks):
    # given an order checked out through the API
    make_product(slug="mag-rr", stock=10)
    body = checkout([{"slug": "mag-rr", "quantity": 1}]).get_json()
    # when the customer pays on Stripe's page and Stripe's webhooks arrive
    stripe_standin.pay(body["stripe_checkout_session_id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    # then the order is paid, the card is known, and one confirmation goes out
    db.session.expire_all()
    order = db.session.get(Order, body["order_id"])
    assert order.status == PAID
    assert order.stripe_payment_intent_id
    assert len(emails()) == 1
    assert run_app_tasks() == 1
    db.session.expire_all()
    assert emails()[0].status == "sent"


def test_duplicate_slugs_are_merged_into_one_line(checkout, make_product):
    product = make_product(slug="mag-rr", stock=10, price=1000)
    response = checkout([{"slug": "mag-rr", "quantity": 2}, {"slug": "mag-rr", "quantity": 3}])
    assert response.status_code == 201
    order = db.session.get(Order, response.get_json()["order_id"])
    assert [(i.slug, i.quantity) for i in order.items] == [("mag-rr", 5)]
    assert order.total == 5000 and _stock(product) == 5


def test_not_enough_stock_is_409_and_reserves_nothing(checkout, make_product):
    # given two products, one with only 2 left
    plenty = make_product(slug="plenty", stock=50)
    scarce = make_product(slug="scarce", stock=2)
    # when an order wants 3 of the scarce one (and some of the other)
    response = checkout([{"slug": "plenty", "quantity": 4}, {"slug": "scarce", "quantity": 3}])
    # then it is refused, naming the line, and nothing is held or created
    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"] == {"items.1.quantity": ["Only 2 left"]}
    assert (_stock(plenty), _stock(scarce)) == (50, 2)
    assert count(Order) == 0


@pytest.mark.parametrize("payload, field", [
    ({"email": "not-an-email", "items": [{"slug": "mag-rr", "quantity": 1}]}, "email"),
    ({"items": [{"slug": "mag-rr", "quantity": 1}]}, "email"),
    ({"email": "a@example.com", "items": []}, "items"),
    ({"email": "a@example.com"}, "items"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 1}] * 21}, "items"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 0}]}, "items.0.quantity"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 100}]}, "items.0.quantity"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": "2"}]}, "items.0.quantity"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 1.5}]}, "items.0.quantity"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 1}, {"quantity": 1}]}, "items.1.slug"),
    ({"email": "a@example.com", "items": [{"slug": "nope", "quantity": 1}]}, "items.0.slug"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 60}, {"slug": "mag-rr", "quantity": 60}]},
     "items.0.quantity"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 1}],
      "success_url": "https://evil.example/phish"}, "success_url"),
    ({"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 1}],
      "cancel_url": "javascript:alert(1)"}, "cancel_url"),
    ({"email": "a@example.com", "items": "mag-rr"}, "items"),
])
def test_bad_input_is_422_with_dotted_field_names(checkout, api, make_product, payload, field):
    # given a product in stock
    product = make_product(slug="mag-rr", stock=500)
    # when the checkout is asked for something malformed
    response = api.post("/api/v1/checkout", json=payload)
    # then it answers 422 naming the field, and nothing is reserved or created
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert field in body["errors"], body["errors"]
    assert _stock(product) == 500 and count(Order) == 0


def test_unpublished_products_cannot_be_bought(checkout, make_product):
    make_product(slug="hidden", stock=5, published=False)
    response = checkout([{"slug": "hidden", "quantity": 1}])
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"items.0.slug": ["Unknown product"]}


def test_own_host_redirects_are_passed_to_stripe(checkout, make_product, stripe_standin):
    make_product(slug="mag-rr", stock=5)
    response = checkout([{"slug": "mag-rr", "quantity": 1}], success_url="http://shop.test/thanks",
                        cancel_url="http://shop.test:80/cart")
    assert response.status_code == 201
    session = stripe_standin.session(response.get_json()["stripe_checkout_session_id"])
    assert (session["success_url"], session["cancel_url"]) == ("http://shop.test/thanks", "http://shop.test:80/cart")


@pytest.mark.parametrize("url", [
    "https://shop.test/thanks",          # another scheme than PUBLIC_URL's (http)
    "http://shop.test:8443/thanks",      # another port
    "http://shop.test.evil.example/",    # another host that starts like ours
    "http://user@shop.test/thanks",      # credentials in the address
    "http://shop.test/thanks\r\nSet-Cookie: a=b",
    "http://shop.test/\x00thanks",
    "http://shop.test:port/",
])
@pytest.mark.parametrize("field", ["success_url", "cancel_url"])
def test_return_urls_must_be_on_public_urls_origin_without_control_characters(checkout, make_product, field, url):
    # given a product in stock (PUBLIC_URL is http://shop.test)
    product = make_product(slug="mag-rr", stock=5)
    # when a checkout names a return address off the shop's origin, or one holding control characters
    response = checkout([{"slug": "mag-rr", "quantity": 1}], **{field: url})
    # then it answers 422 naming the field, and nothing is reserved
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert _stock(product) == 5 and count(Order) == 0


def test_stripe_failing_cancels_the_order_and_releases_the_stock(checkout, make_product, stripe_standin):
    # given a product with 10 in stock, and Stripe answering 500 to every try the SDK makes
    product = make_product(slug="mag-rr", stock=10)
    stripe_standin.fail_next(3, status=500, path="/v1/checkout/sessions")
    # when a customer checks out
    response = checkout([{"slug": "mag-rr", "quantity": 2}])
    # then the answer is a clean 502, the order is cancelled and nothing is held
    assert response.status_code == 502
    body = response.get_json()
    assert body["code"] == 502 and body["errors"] == {} and "nothing was charged" in body["message"]
    assert _stock(product) == 10
    order = db.session.scalar(select(Order))
    assert order.status == CANCELLED and not order.stock_reserved


def test_stripe_timing_out_is_503_and_holds_nothing(make_app, stripe_standin, make_product):
    # given Stripe answering slower than the shop waits, on every try
    app = make_app(STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY="sk_test_standin",
                   STRIPE_TIMEOUT_SECONDS=0.3)
    with app.app_context():
        product = make_product(slug="mag-rr", stock=10)
        stripe_standin.delay_next(3, 1.0, path="/v1/checkout/sessions")
        # when a customer checks out
        response = app.test_client().post("/api/v1/checkout", json={
            "email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 2}]})
        # then: 503, nothing held, the order cancelled
        assert response.status_code == 503
        assert response.get_json()["code"] == 503
        assert _stock(product) == 10
        assert db.session.scalar(select(Order)).status == CANCELLED


def test_idempotency_key_is_derived_from_the_order(app, make_product):
    from shop.orders.checkout import checkout_idempotency_key

    order = Order(id=42, email="a@example.com", token_hash="x", total=0)
    from shop.db import utcnow

    order.created_at = utcnow()
    key = checkout_idempotency_key(order)
    assert key.startswith("order-42-checkout-") and key == checkout_idempotency_key(order)
