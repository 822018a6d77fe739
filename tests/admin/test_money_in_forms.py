"""Prices as staff type them: minor units follow the currency, and only real amounts are taken."""
import pytest
from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db

NEW = {"name": "Night Oil", "slug": "night-oil", "summary": "Drops", "price": "24.50", "currency": "usd",
       "capsules_per_bottle": "60", "serving_capsules": "2", "stock": "10", "guarantee_days": "30",
       "description": "", "disclaimer": ""}


def product(slug):
    db.session.expire_all()
    return db.session.scalar(select(Product).where(Product.slug == slug))


def test_a_yen_price_is_stored_in_yen_not_in_hundredths(staff_client):
    # given an admin pricing a product at ¥500 (the yen has no minor unit)
    client, _ = staff_client("admin")
    # when the product is created and published
    response = client.post("/admin/products/new", data={**NEW, "price": "500", "currency": "JPY", "published": "y"})
    # then 500 minor units are stored (what goes to Stripe), and people read ¥500 back
    assert response.status_code == 303
    created = product("night-oil")
    assert (created.price, created.currency) == (500, "jpy")
    assert 'value="500"' in client.get(response.headers["Location"]).get_data(as_text=True)
    page = client.get("/products/night-oil").get_data(as_text=True)
    assert "500 JPY" in page and "5.00 JPY" not in page
    assert '"price": "500"' in page  # schema.org offer for search engines


def test_a_yen_price_with_decimals_is_refused(staff_client):
    client, _ = staff_client("admin")
    response = client.post("/admin/products/new", data={**NEW, "price": "500.50", "currency": "jpy"})
    assert response.status_code == 422
    assert "JPY has no minor unit" in response.get_data(as_text=True)
    assert product("night-oil") is None


def test_a_three_decimal_currency_keeps_its_thousandths(staff_client):
    client, _ = staff_client("admin")
    response = client.post("/admin/products/new", data={**NEW, "price": "1.250", "currency": "kwd"})
    assert response.status_code == 303
    assert product("night-oil").price == 1250


@pytest.mark.parametrize("currency", ["zzz", "xts", "dem", "usdd", "12$", "isk", "all"])
def test_only_iso_currencies_in_use_are_accepted(staff_client, currency):
    # given an admin typing a currency code that no country pays in (made up, test, withdrawn),
    # or one whose minor unit Stripe counts otherwise than the currency data (ISK, ALL)
    client, _ = staff_client("admin")
    response = client.post("/admin/products/new", data={**NEW, "currency": currency})
    # then the form is shown again with the error, and nothing is created
    assert response.status_code == 422
    assert product("night-oil") is None


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "NaN", "sNaN"])
def test_infinite_or_undefined_prices_are_a_form_error(staff_client, make_product, value):
    made = make_product(slug="calm")
    client, _ = staff_client("admin")
    created = client.post("/admin/products/new", data={**NEW, "price": value})
    edited = client.post(f"/admin/products/{made.id}", data={**NEW, "slug": "calm", "price": value})
    assert (created.status_code, edited.status_code) == (422, 422)
    assert "Not a valid decimal value" in created.get_data(as_text=True)
    assert product("night-oil") is None and product("calm").price == made.price


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_infinite_or_undefined_ingredient_amounts_are_a_form_error(staff_client, make_product, value):
    made = make_product(slug="ing", ingredients=[("A", "1", "mg")])
    client, _ = staff_client("admin")
    form = {"rows-0-position": "1", "rows-0-name": "A", "rows-0-amount": value, "rows-0-unit": "mg"}
    response = client.post(f"/admin/products/{made.id}/ingredients", data=form)
    assert response.status_code == 422
    assert "Not a valid decimal value" in response.get_data(as_text=True)
    assert [(i.name, str(i.amount)) for i in product("ing").ingredients] == [("A", "1.000")]


def test_a_product_priced_zero_cannot_be_published(staff_client, make_product):
    # given a product priced 0 (Stripe cannot take a payment of 0: its orders would wait forever)
    made = make_product(slug="free", price=0, published=False)
    client, _ = staff_client("admin")
    # when an admin publishes it, by the button or by the form
    by_button = client.post(f"/admin/products/{made.id}/publish", data={"published": "1"})
    by_form = client.post("/admin/products/new", data={**NEW, "price": "0", "published": "y"})
    # then both are refused with the reason on the price field, and nothing is for sale
    assert (by_button.status_code, by_form.status_code) == (422, 422)
    for response in (by_button, by_form):
        assert "A product priced 0 cannot be sold" in response.get_data(as_text=True)
    assert product("free").published is False and product("night-oil") is None
    # while a product priced 0 may still be kept unpublished
    assert client.post("/admin/products/new", data={**NEW, "price": "0"}).status_code == 303


def test_a_refund_typed_in_yen_is_refunded_in_yen(staff_client, make_product, make_order):
    from datetime import timedelta

    from shop.db import utcnow
    from shop.guarantee.models import Claim
    from shop.guarantee.services import file_claim
    from shop.orders.models import DELIVERED
    from shop.payments.models import Refund

    # given a claim on a delivered order of ¥1,000
    order, _ = make_order(make_product(price=1000, currency="jpy", guarantee_days=30), status=DELIVERED,
                          delivered_at=utcnow() - timedelta(days=5))
    claim = file_claim(order.id, "It did not help")
    db.session.commit()
    client, _ = staff_client("support")
    assert "1,000 JPY" in client.get(f"/admin/claims/{claim.id}").get_data(as_text=True)
    # when support types a part of a yen, it is refused; ¥300 is asked of Stripe as 300
    refused = client.post(f"/admin/claims/{claim.id}/approve", data={"amount": "300.50"})
    assert refused.status_code == 422 and "JPY has no minor unit" in refused.get_data(as_text=True)
    client.post(f"/admin/claims/{claim.id}/approve", data={"amount": "300"})
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).approved_amount == 300
    assert [r.amount for r in db.session.scalars(select(Refund))] == [300]
