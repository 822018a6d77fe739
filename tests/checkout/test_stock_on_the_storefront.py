"""Stock moved by checkouts, as the storefront shows it: at once when it shows, and only then.

Every process caches the catalogue until its version moves (shop/catalog/cache.py). A checkout
that takes 2 of 500 bottles changes nothing a page shows, so it must not empty every cache;
one that takes the last units, or brings stock under the buy box's largest quantity, must show.
"""
import re

from sqlalchemy import select

from shop.catalog.models import CatalogueVersion


def _version(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(CatalogueVersion.version)) or 0


def _buy_box_max(api) -> int | None:
    found = re.search(r'name="quantity"[^>]*max="(\d+)"', api.get("/products/mag-rr").get_data(as_text=True))
    return int(found.group(1)) if found else None


def test_a_checkout_the_storefront_cannot_see_leaves_the_catalogue_alone(api, checkout, make_product, db):
    # given 500 bottles, the pages warm
    make_product(slug="mag-rr", stock=500)
    assert _buy_box_max(api) == 99 and api.get("/api/v1/products/mag-rr").get_json()["in_stock"]
    before = _version(db)
    # when a customer checks out 2
    assert checkout([{"slug": "mag-rr", "quantity": 2}]).status_code == 201
    # then the catalogue version did not move: every process keeps its cache
    assert _version(db) == before
    assert _buy_box_max(api) == 99


def test_taking_the_last_units_shows_out_of_stock_at_once(api, checkout, make_product, stripe_standin, db):
    # given the last 2 bottles, shown in stock
    make_product(slug="mag-rr", stock=2)
    assert api.get("/api/v1/products/mag-rr").get_json()["in_stock"] is True
    before = _version(db)
    # when a customer checks out both
    body = checkout([{"slug": "mag-rr", "quantity": 2}]).get_json()
    # then the API and the page say out of stock at once, and the version moved for the others
    assert api.get("/api/v1/products/mag-rr").get_json()["in_stock"] is False
    assert "Out of stock" in api.get("/products/mag-rr").get_data(as_text=True)
    assert _version(db) != before
    # and when the checkout expires unpaid, the bottles are back on sale at once
    stripe_standin.expire(body["stripe_checkout_session_id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    assert api.get("/api/v1/products/mag-rr").get_json()["in_stock"] is True


def test_the_buy_box_never_offers_more_than_is_left(api, checkout, make_product, db):
    # given 100 bottles: the buy box offers its largest quantity, 99
    make_product(slug="mag-rr", stock=100)
    assert _buy_box_max(api) == 99
    # when a checkout takes 3 (97 left)
    assert checkout([{"slug": "mag-rr", "quantity": 3}]).status_code == 201
    # then the buy box offers 97 at once
    assert _buy_box_max(api) == 97
