"""Admin fixtures: staff of each role signed in through the real login form."""
import pytest

PASSWORD = "correct horse battery"


@pytest.fixture
def web(make_app):
    """The app as its web server runs it: every request in an app context of its own.

    (The `app` fixture keeps one context pushed for the test's own database work; requests
    made through it would share `g`, and with it Flask-Login's cached user, across requests.)
    """
    return make_app()


@pytest.fixture
def client(web):
    return web.test_client()


@pytest.fixture
def sign_in():
    """Sign `client` in as `staff` through /admin/login; returns the response."""

    def sign(client, staff, password=PASSWORD, next_url=None):
        path = "/admin/login" + (f"?next={next_url}" if next_url else "")
        return client.post(path, data={"email": staff.email, "password": password})

    return sign


@pytest.fixture
def staff_client(web, make_staff, sign_in):
    """A fresh test client signed in as a new staff member of `role`: (client, staff)."""

    def make(role="admin"):
        staff, _ = make_staff(role)
        client = web.test_client()
        response = sign_in(client, staff)
        assert response.status_code == 303, response.status_code
        return client, staff

    return make


@pytest.fixture
def admin_world(app, make_product, make_order, make_staff):
    """One of everything an admin page can show, so every route has a real id to open."""
    from datetime import timedelta

    from shop.accounts.services import issue_token
    from shop.db import utcnow
    from shop.emails.models import EmailMessage
    from shop.extensions import db
    from shop.guarantee.services import file_claim
    from shop.orders.models import DELIVERED
    from shop.reviews.services import submit_entry

    product = make_product(slug="world-product")
    order, _ = make_order(product, email="world@example.com")
    delivered, _ = make_order(product, email="claimer@example.com", status=DELIVERED,
                              delivered_at=utcnow() - timedelta(days=3))
    claim = file_claim(delivered.id, "It did not help me sleep")
    entry, _ = submit_entry(product, kind="question", name="Ann", email="ann@example.com",
                            body="Can I take it with coffee?")
    email = EmailMessage(to="world@example.com", kind="order_confirmation", subject="Thanks",
                         body_text="Hello", body_html="<p>Hello</p>", order_id=order.id, status="failed")
    db.session.add(email)
    from shop.promotions.services import create_code
    from shop.shipping.services import create_rate

    rate = create_rate({"name": "World post", "amount": 500, "currency": "usd"})
    # A code not yet at Stripe; Stripe itself is somewhere that refuses at once (nothing listens).
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_TIMEOUT_SECONDS=1)
    code = create_code({"code": "WORLD5", "percent_off": 5})
    member, _ = make_staff("support", email="member@example.com")
    token = issue_token(member, name="scanner")
    from shop.catalog.collections import save_collection
    from shop.catalog.pictures import add_picture
    from tests.media_helpers import png

    picture = add_picture(product, png(400, 400), "A bottle")
    collection = save_collection(None, {"name": "Sleep", "slug": "sleep", "published": True}, [product.id])
    from shop.subscriptions.models import Subscription

    subscription = Subscription(order_id=order.id, product_id=product.id, quantity=1, unit_price=4165,
                                currency="usd", status="canceled", interval_days=30)
    db.session.add(subscription)
    db.session.commit()
    token_id = member.tokens[-1].id
    return {
        "product_id": product.id, "ingredient_id": product.ingredients[0].id,
        "step_id": product.titration_steps[0].id, "order_id": order.id, "claim_id": claim.id,
        "entry_id": entry.id, "message_id": email.id, "staff_id": member.id, "token_id": token_id,
        "token": token, "rate_id": rate.id, "code_id": code.id,
        "image_id": picture.id, "collection_id": collection.id, "slug": "privacy", "bundle_id": product.bundles[0].id,
        "subscription_id": subscription.id,
    }


from tests.stripe_fixtures import *  # noqa: E402,F401,F403  stripe_standin, stripe_app, stripe_client, paid_at_stripe
