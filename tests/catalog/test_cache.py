"""The catalogue cache: few queries per page, no writes on GET, and changes seen at once."""
import pytest
from sqlalchemy import select, text, update

from shop.catalog.cache import invalidate_catalogue
from shop.catalog.models import CatalogueVersion, Ingredient, Product
from shop.db import utcnow
from shop.extensions import db
from shop.reviews import models

PAGES = ["/", "/products", "/products?q=mag", "/products/mag-rr", "/api/v1/products",
         "/api/v1/products?q=night&per_page=5", "/api/v1/products/mag-rr"]


def _ingredients(count):
    return [(f"Compound {i}", str(i + 1), "mg") for i in range(count)]


def _plan(count):
    return [(7 * i, min(i + 1, 9), "dose", f"step {i}") for i in range(count)]


@pytest.mark.parametrize("ingredients, steps", [(1, 1), (40, 20)])
def test_a_page_costs_at_most_four_queries_whatever_its_size(client, make_product, sql, ingredients, steps):
    # given products with few or many ingredients and plan steps
    make_product(slug="mag-rr", ingredients=_ingredients(ingredients), plan=_plan(steps))
    for index in range(30):
        make_product(slug=f"other-{index}", ingredients=_ingredients(ingredients), plan=_plan(steps))
    for path in PAGES:
        # when each page is fetched cold, then warm
        with sql:
            assert client.get(path).status_code == 200
        cold = len(sql.statements)
        with sql:
            client.get(path)
        # then no page needs more than four queries, and a warm one no more than a cold one
        assert cold <= 4, (path, sql.statements)
        assert len(sql.statements) <= cold


def test_the_product_page_does_not_grow_with_its_reviews(client, mag_rr, sql):
    # given a product page read once with no reviews, and once more after 25 reviews with replies
    with sql:
        client.get("/products/mag-rr")
    without_reviews = len(sql.statements)
    for index in range(25):
        review = models.Entry(product_id=mag_rr.id, kind=models.KIND_REVIEW, status=models.PUBLISHED,
                              name=f"Buyer {index}", email=f"b{index}@example.com", rating=5, body="Slept well.",
                              body_digest=f"{index:064d}", published_at=utcnow())
        db.session.add(review)
        db.session.flush()
        db.session.add(models.Entry(product_id=mag_rr.id, parent_id=review.id, kind=models.KIND_REVIEW,
                                    status=models.PUBLISHED, name="Shop", body="Thank you!", is_staff=True,
                                    body_digest=f"r{index:063d}", published_at=utcnow()))
    db.session.commit()
    # when it is read cold again
    with sql:
        assert client.get("/products/mag-rr").status_code == 200
    # then it costs the same few queries
    assert len(sql.statements) <= max(4, without_reviews), sql.statements


def test_no_get_writes_to_the_database(client, mag_rr, make_product, sql):
    make_product(slug="hidden", published=False)
    paths = PAGES + ["/products/hidden", "/api/v1/products/nope", "/api/v1/products?per_page=500",
                     "/healthz", "/api/openapi.json", "/api/docs", "/products?page=99"]
    with sql:
        for path in paths * 2:
            client.get(path)
    assert sql.writes == []
    assert sql.statements  # the recorder did see the reads


def test_a_price_change_shows_at_once(client, mag_rr):
    _warm(client)
    # when the price changes through the ORM
    mag_rr.price = 5900
    db.session.commit()
    # then the API and the pages show it on the next request
    assert client.get("/api/v1/products/mag-rr").get_json()["price"] == 5900
    assert client.get("/api/v1/products").get_json()["items"][0]["price"] == 5900
    assert "$59.00" in client.get("/products/mag-rr").get_data(as_text=True)
    assert "$59.00" in client.get("/products").get_data(as_text=True)


def test_a_bulk_stock_reservation_flips_in_stock(client, make_product):
    # given the last three bottles, cached as in stock
    make_product(slug="mag-rr", stock=3)
    assert _warm(client)["in_stock"] is True
    # when a checkout reserves them with one UPDATE statement (no ORM instance touched)
    result = db.session.execute(
        update(Product).where(Product.slug == "mag-rr", Product.stock >= 3).values(stock=Product.stock - 3)
    )
    assert result.rowcount == 1
    db.session.commit()
    # then the catalogue says out of stock at once, in the API and on the pages
    assert client.get("/api/v1/products/mag-rr").get_json()["in_stock"] is False
    assert client.get("/api/v1/products").get_json()["items"][0]["in_stock"] is False
    assert "Out of stock" in client.get("/products/mag-rr").get_data(as_text=True)


def test_unpublishing_and_publishing_show_at_once(client, mag_rr):
    _warm(client)
    mag_rr.published = False
    db.session.commit()
    assert client.get("/api/v1/products/mag-rr").status_code == 404
    assert client.get("/products/mag-rr").status_code == 404
    assert client.get("/api/v1/products").get_json()["total"] == 0
    mag_rr.published = True
    db.session.commit()
    assert client.get("/api/v1/products/mag-rr").status_code == 200
    assert client.get("/api/v1/products").get_json()["total"] == 1


def test_an_ingredient_or_plan_change_shows_at_once(client, mag_rr):
    _warm(client)
    ingredient = db.session.scalar(select(Ingredient).where(Ingredient.product_id == mag_rr.id,
                                                            Ingredient.position == 0))
    ingredient.name = "Magnesium bisglycinate"
    mag_rr.titration_steps[0].capsules = 2
    db.session.commit()
    body = client.get("/api/v1/products/mag-rr").get_json()
    assert body["ingredients"][0]["name"] == "Magnesium bisglycinate"
    assert body["titration"][0]["capsules"] == 2


def test_a_model_that_affects_the_catalogue_bumps_its_version(client, mag_rr):
    before = _version()
    db.session.add(models.Entry(product_id=mag_rr.id, kind=models.KIND_QUESTION, name="Ann",
                                email="ann@example.com", body="With food?", body_digest="q" * 64))
    db.session.commit()
    assert _version() != before


def test_changes_that_roll_back_leave_the_cache_and_version_alone(client, mag_rr, sql):
    _warm(client)
    before = _version()
    # when a change is flushed, read back inside its own transaction, then rolled back
    mag_rr.price = 100
    db.session.flush()
    from shop.catalog.services import product_details
    with client.application.test_request_context():
        assert product_details("mag-rr").price == 100  # the transaction sees its own change
    db.session.rollback()
    # then the version did not move and every reader still sees the committed price
    assert _version() == before
    assert client.get("/api/v1/products/mag-rr").get_json()["price"] == 4900


def test_raw_sql_changes_are_announced_with_invalidate_catalogue(client, mag_rr):
    _warm(client)
    db.session.execute(text("UPDATE products SET name = 'Mag R&R Night' WHERE slug = 'mag-rr'"))
    invalidate_catalogue()
    db.session.commit()
    assert client.get("/api/v1/products/mag-rr").get_json()["name"] == "Mag R&R Night"


def test_other_processes_see_a_change_once_they_recheck_the_version(make_app, mag_rr):
    # given a second web process (its own app and cache) that re-reads the version rarely
    other = make_app(CATALOGUE_VERSION_CHECK_MS=60_000)
    other_client = other.test_client()
    assert other_client.get("/api/v1/products/mag-rr").get_json()["price"] == 4900
    # when this process changes the price
    mag_rr.price = 4500
    db.session.commit()
    # then the other process serves its copy until its check interval passes, then the new price
    assert other_client.get("/api/v1/products/mag-rr").get_json()["price"] == 4900
    other.extensions["catalogue_cache"].checked_at -= 61
    assert other_client.get("/api/v1/products/mag-rr").get_json()["price"] == 4500


def test_entries_expire_after_catalogue_cache_seconds(make_app, mag_rr):
    other = make_app(CATALOGUE_CACHE_SECONDS=0)
    other_client = other.test_client()
    other_client.get("/api/v1/products/mag-rr")
    # a change no session noticed (another tool wrote the table): with no caching, seen at once
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE products SET price = 4100 WHERE slug = 'mag-rr'"))
    assert other_client.get("/api/v1/products/mag-rr").get_json()["price"] == 4100


def test_hostile_searches_do_not_grow_the_cache_without_bound(client, mag_rr):
    store = client.application.extensions.get("catalogue_cache")
    if store is None:
        client.get("/api/v1/products")
        store = client.application.extensions["catalogue_cache"]
    store.max_entries = 50
    for index in range(200):
        client.get("/api/v1/products", query_string={"q": f"probe {index}"})
    assert len(store._entries) <= 50


def _warm(client) -> dict:
    for path in PAGES:
        client.get(path)
    return client.get("/api/v1/products/mag-rr").get_json()


def _version() -> int:
    db.session.rollback()
    return db.session.scalar(select(CatalogueVersion.version)) or 0
