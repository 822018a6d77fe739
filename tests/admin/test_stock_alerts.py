"""Stock alerts: shoppers emailed once when a product is back, admins once per low-stock crossing."""
import pytest
from sqlalchemy import select

from shop.emails.models import EmailMessage
from shop.extensions import db
from tests.admin.test_product_screens import NEW


def _emails(kind):
    db.session.expire_all()
    return db.session.scalars(select(EmailMessage).where(EmailMessage.kind == kind).order_by(EmailMessage.id)).all()


def _set_stock(client, product_id, slug, stock):
    fields = {**NEW, "slug": slug, "name": "Night Oil", "price": "29.00", "stock": str(stock), "published": "y"}
    response = client.post(f"/admin/products/{product_id}", data=fields)
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]


def _ask(client, slug, email):
    return client.post(f"/products/{slug}/notify", data={"email": email})


def test_an_out_of_stock_page_offers_the_form_and_an_in_stock_one_does_not(client, make_product):
    make_product(slug="gone", stock=0)
    make_product(slug="here", stock=5)
    assert 'action="/products/gone/notify"' in client.get("/products/gone").get_data(as_text=True)
    assert "/notify" not in client.get("/products/here").get_data(as_text=True)


def test_each_subscriber_gets_one_email_when_stock_returns(client, make_product, staff_client):
    # given an out-of-stock product and three requests from two shoppers
    made = make_product(slug="night-oil", stock=0, bundles=[])
    for email in ("ann@example.com", "Ann@Example.com", "bob@example.com"):
        response = _ask(client, "night-oil", email)
        assert response.status_code == 303
    # the answer is the same thanks for a repeat as for a first request
    page = client.get("/products/night-oil").get_data(as_text=True)
    assert "we will email you once" in page
    assert _emails("back_in_stock") == []
    # when staff restock it
    admin, _ = staff_client("admin")
    _set_stock(admin, made.id, "night-oil", 40)
    # then each address gets one transactional email naming the product and linking to it
    sent = _emails("back_in_stock")
    assert sorted(m.to for m in sent) == ["ann@example.com", "bob@example.com"]
    assert all("Night Oil" in m.subject and "http://shop.test/products/night-oil" in m.body_text for m in sent)
    assert all(m.category == "transactional" and "List-Unsubscribe" not in (m.headers or {}) for m in sent)
    # and editing the stock again (still in stock, or out and back without new requests) sends nothing more
    _set_stock(admin, made.id, "night-oil", 30)
    _set_stock(admin, made.id, "night-oil", 0)
    _set_stock(admin, made.id, "night-oil", 10)
    assert len(_emails("back_in_stock")) == 2


def test_a_bad_address_or_a_product_in_stock_is_refused_and_stores_nothing(client, make_product):
    from shop.catalog.models import BackInStockRequest

    make_product(slug="gone", stock=0)
    make_product(slug="here", stock=5)
    refused = client.post("/products/gone/notify", data={"email": "nope"}, follow_redirects=True)
    assert "Please enter a valid email address" in refused.get_data(as_text=True)
    in_stock = client.post("/products/here/notify", data={"email": "ann@example.com"}, follow_redirects=True)
    assert "It is in stock" in in_stock.get_data(as_text=True)
    assert client.post("/products/unknown/notify", data={"email": "ann@example.com"}).status_code == 404
    db.session.expire_all()
    assert db.session.scalars(select(BackInStockRequest)).all() == []


def test_the_form_is_rate_limited_per_client(make_app, make_product):
    app = make_app(RATELIMIT_ENABLED=True, BACK_IN_STOCK_RATE_LIMIT="2/hour")
    client = app.test_client()
    with app.app_context():
        make_product(slug="gone", stock=0)
    assert _ask(client, "gone", "a@example.com").status_code == 303
    assert _ask(client, "gone", "b@example.com").status_code == 303
    assert _ask(client, "gone", "c@example.com").status_code == 429


@pytest.fixture
def buy(stripe_app, stripe_standin):
    """Check out `quantity` of `slug` through the API and pay at the stand-in (webhooks delivered)."""
    api = stripe_app.test_client()

    def purchase(slug, quantity):
        body = api.post("/api/v1/checkout", json={"email": "buyer@example.com",
                                                  "items": [{"slug": slug, "quantity": quantity}]}).get_json()
        stripe_standin.pay(body["stripe_checkout_session_id"])
        stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
        return body["order_id"]

    return purchase


def test_admins_get_one_low_stock_alert_per_crossing(buy, make_product, make_staff, staff_client):
    # given two admins, a support member, and a product with 25 in stock (threshold 20)
    make_staff("admin", email="boss@example.com")
    make_staff("admin", email="ops@example.com")
    make_staff("support", email="help@example.com")
    made = make_product(slug="night-oil", stock=25, price=2900, bundles=[])
    # when a paid order leaves 22: no alert
    buy("night-oil", 3)
    assert _emails("low_stock") == []
    # when the next paid order leaves 19, and another 17
    buy("night-oil", 3)
    buy("night-oil", 2)
    # then each admin got one alert, for the crossing, naming what was left then
    alerts = _emails("low_stock")
    assert sorted(m.to for m in alerts) == ["boss@example.com", "ops@example.com"]
    assert all("19" in m.subject for m in alerts)
    # and the dashboard lists the product as low
    admin, _ = staff_client("admin")
    html = admin.get("/admin").get_data(as_text=True)
    assert 'data-low-stock="night-oil"' in html and "17 left" in html
    # when staff restock above the threshold and it falls again, the next crossing alerts again
    _set_stock(admin, made.id, "night-oil", 21)
    assert 'data-low-stock="night-oil"' not in admin.get("/admin").get_data(as_text=True)
    buy("night-oil", 2)
    assert len(_emails("low_stock")) == 2 + 3  # the staff_client admin is an admin too
