"""A product's subscribe & save discount: on ProductDetail, null when it cannot be subscribed to."""


def test_product_detail_shows_the_discount_or_null(client, make_product):
    make_product(slug="mag-rr", subscription_discount_percent=15)
    make_product(slug="one-off", subscription_discount_percent=None)

    assert client.get("/api/v1/products/mag-rr").json["subscription_discount_percent"] == 15
    assert client.get("/api/v1/products/one-off").json["subscription_discount_percent"] is None


def test_seed_demo_makes_mag_rr_subscribable_at_15_percent(app):
    from sqlalchemy import select

    from shop.catalog.demo import seed_demo_catalogue
    from shop.catalog.models import Product
    from shop.extensions import db

    seed_demo_catalogue()
    db.session.commit()
    discounts = dict(db.session.execute(select(Product.slug, Product.subscription_discount_percent)).all())
    assert discounts["mag-rr"] == 15
    assert discounts["daylight-d3-k2"] is None


def test_seed_demo_on_an_existing_store_fills_a_blank_discount_and_keeps_a_set_one(app):
    from sqlalchemy import select

    from shop.catalog.demo import seed_demo_catalogue
    from shop.catalog.models import Product
    from shop.extensions import db

    # Given a store seeded before subscribe & save existed (Mag R&R's discount blank)
    seed_demo_catalogue()
    mag_rr = db.session.scalar(select(Product).where(Product.slug == "mag-rr"))
    mag_rr.subscription_discount_percent = None
    db.session.commit()

    # When seed-demo runs again, the blank is filled
    seed_demo_catalogue()
    db.session.commit()
    assert db.session.scalar(select(Product.subscription_discount_percent).where(Product.slug == "mag-rr")) == 15

    # and a discount staff set is kept
    mag_rr.subscription_discount_percent = 20
    db.session.commit()
    seed_demo_catalogue()
    db.session.commit()
    assert db.session.scalar(select(Product.subscription_discount_percent).where(Product.slug == "mag-rr")) == 20
