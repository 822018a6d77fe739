"""Staff set a product's subscribe & save discount on the product form (1-90 %, empty = none)."""
from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db

NEW = {"name": "Night Oil", "slug": "night-oil", "summary": "Drops", "price": "24.50", "currency": "usd",
       "capsules_per_bottle": "60", "serving_capsules": "2", "stock": "10", "guarantee_days": "30",
       "description": "", "disclaimer": ""}


def discount(slug):
    db.session.expire_all()
    return db.session.scalar(select(Product.subscription_discount_percent).where(Product.slug == slug))


def test_staff_set_change_and_clear_the_discount(staff_client):
    client, _ = staff_client("admin")
    created = client.post("/admin/products/new", data={**NEW, "subscription_discount_percent": "15"})
    assert created.status_code == 303
    assert discount("night-oil") == 15
    assert 'name="subscription_discount_percent"' in client.get(created.headers["Location"]).get_data(as_text=True)
    product_id = db.session.scalar(select(Product.id).where(Product.slug == "night-oil"))

    cleared = client.post(f"/admin/products/{product_id}", data={**NEW, "subscription_discount_percent": ""})
    assert cleared.status_code == 303
    assert discount("night-oil") is None


def test_a_discount_outside_1_to_90_is_refused(staff_client):
    client, _ = staff_client("admin")
    for value in ("0", "91"):
        answer = client.post("/admin/products/new", data={**NEW, "subscription_discount_percent": value})
        assert answer.status_code == 422
        assert "Between 1 and 90 percent" in answer.get_data(as_text=True)
    assert discount("night-oil") is None
