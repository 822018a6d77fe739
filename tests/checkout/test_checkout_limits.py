"""Stock hoarding: checkouts per client address, and units held by unpaid orders per address or email."""
import pytest
from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db
from shop.orders.models import Order
from tests.stripe_fixtures import STANDIN_API_KEY

A, B = "203.0.113.7", "198.51.100.2"


@pytest.fixture
def shop(make_app, stripe_standin, make_product):
    """Build the shop against the stand-in with the given settings; returns (app, product)."""
    contexts = []

    def build(**settings):
        settings.setdefault("RATELIMIT_ENABLED", True)
        app = make_app(STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY=STANDIN_API_KEY,
                       STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret, **settings)
        stripe_standin.deliver_to_app(app)
        context = app.app_context()
        context.push()
        contexts.append(context)
        return app, make_product(slug="mag-rr", stock=200)

    yield build
    stripe_standin.stop_webhooks()
    for context in contexts:
        db.session.remove()
        context.pop()


def checkout(client, quantity=1, email="buyer@example.com", ip=A):
    return client.post("/api/v1/checkout", environ_base={"REMOTE_ADDR": ip},
                       json={"email": email, "items": [{"slug": "mag-rr", "quantity": quantity}]})


def stock() -> int:
    db.session.expire_all()
    return db.session.scalar(select(Product.stock).where(Product.slug == "mag-rr"))


def test_an_address_may_start_checkout_rate_limit_checkouts_api_and_cart_form_together(shop):
    # given checkouts limited to 3 an hour per address
    app, _ = shop(RATELIMIT_ENABLED=True, CHECKOUT_RATE_LIMIT="3/hour")
    client = app.test_client()
    # when one address starts two checkouts through the API and one through the cart's form
    assert [checkout(client).status_code for _ in range(2)] == [201, 201]
    client.post("/cart/add", data={"slug": "mag-rr", "quantity": "1"}, environ_base={"REMOTE_ADDR": A})
    form = client.post("/cart/checkout", data={"email": "buyer@example.com"}, environ_base={"REMOTE_ADDR": A})
    assert form.status_code == 303 and len(db.session.scalars(select(Order.id)).all()) == 3
    # then its fourth is refused with a 429 in the error shape, nothing reserved
    held = stock()
    refused = checkout(client)
    assert refused.status_code == 429
    body = refused.get_json()
    assert (body["code"], body["status"]) == (429, "Too Many Requests")
    assert stock() == held
    assert client.post("/cart/checkout", data={"email": "buyer@example.com"},
                       environ_base={"REMOTE_ADDR": A}).status_code == 429
    # and another address is not limited
    assert checkout(client, email="other@example.com", ip=B).status_code == 201


def test_the_default_is_20_checkouts_an_hour(shop):
    app, _ = shop(RATELIMIT_ENABLED=True, CHECKOUT_MAX_UNPAID_UNITS=0)
    client = app.test_client()
    assert [checkout(client).status_code for _ in range(21)] == [201] * 20 + [429]


def test_two_anonymous_checkouts_of_99_cannot_empty_the_shelf(shop):
    # given 200 bottles on the shelf and the default cap of 100 unpaid units per client
    app, _ = shop()
    client = app.test_client()
    # when one client asks for 99, twice
    answers = [checkout(client, quantity=99) for _ in range(2)]
    # then the first holds 99, the second is refused with a clear 429 and reserves nothing
    assert [r.status_code for r in answers] == [201, 429]
    body = answers[1].get_json()
    assert body["code"] == 429 and "100 units may wait for payment" in body["message"]
    assert "items" in body["errors"]
    assert stock() == 101 and len(db.session.scalars(select(Order.id)).all()) == 1


def test_the_cap_is_off_with_every_other_limit_for_load_tests(shop):
    app, _ = shop(RATELIMIT_ENABLED=False)
    client = app.test_client()
    assert [checkout(client, quantity=99).status_code for _ in range(2)] == [201, 201]


def test_unpaid_units_are_capped_per_address_and_per_email(shop, stripe_standin):
    app, _ = shop(CHECKOUT_MAX_UNPAID_UNITS=30)
    client = app.test_client()
    # given one unpaid checkout of 20 from address A by ann
    first = checkout(client, quantity=20, email="ann@example.com", ip=A)
    assert first.status_code == 201
    # when the same address asks for 11 more under another email, or ann from another address
    assert checkout(client, quantity=11, email="bob@example.com", ip=A).status_code == 429
    assert checkout(client, quantity=11, email="ANN@example.com", ip=B).status_code == 429
    assert stock() == 180
    # then up to the cap is still accepted, and a stranger is not affected
    assert checkout(client, quantity=10, email="bob@example.com", ip=A).status_code == 201
    assert checkout(client, quantity=30, email="cat@example.com", ip=B).status_code == 201
    assert checkout(client, quantity=1, email="dan@example.com", ip=A).status_code == 429
    # and once ann's checkout expires unpaid, its units count no more
    stripe_standin.expire(first.get_json()["stripe_checkout_session_id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()))
    assert checkout(client, quantity=20, email="dan@example.com", ip=A).status_code == 201
