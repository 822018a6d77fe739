"""The product-editing rules (shop.catalog.admin_services): refused edits change nothing."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.catalog import admin_services as catalog
from shop.catalog.models import FDA_DISCLAIMER, Product
from shop.errors import NotFound, Unprocessable
from shop.extensions import db

FIELDS = {
    "slug": "night-oil", "name": "Night Oil", "summary": "Drops", "description": "", "price": 2500,
    "currency": "usd", "capsules_per_bottle": 60, "serving_capsules": 2, "stock": 10, "guarantee_days": 30,
    "disclaimer": "", "published": False,
}


def test_create_product_stores_cents_and_defaults_the_disclaimer(app):
    product = catalog.create_product(FIELDS)
    db.session.commit()
    assert product.price == 2500 and product.published is False
    assert product.disclaimer == FDA_DISCLAIMER


@pytest.mark.parametrize("change, field", [
    ({"slug": "Night Oil"}, "slug"),
    ({"slug": ""}, "slug"),
    ({"name": "  "}, "name"),
    ({"price": -1}, "price"),
    ({"price": None}, "price"),
    ({"stock": -5}, "stock"),
    ({"stock": 2**31}, "stock"),
    ({"price": 10**12}, "price"),
    ({"capsules_per_bottle": 0}, "capsules_per_bottle"),
    ({"serving_capsules": 90}, "serving_capsules"),
    ({"guarantee_days": -1}, "guarantee_days"),
    ({"guarantee_days": 99999}, "guarantee_days"),
    ({"currency": "dollars"}, "currency"),
])
def test_bad_fields_are_refused_by_name(app, change, field):
    with pytest.raises(Unprocessable) as refused:
        catalog.create_product({**FIELDS, **change})
    assert field in refused.value.errors
    assert db.session.scalar(select(Product.id)) is None


def test_a_slug_belongs_to_one_product(app, make_product):
    make_product(slug="taken")
    with pytest.raises(Unprocessable) as refused:
        catalog.create_product({**FIELDS, "slug": "taken"})
    assert refused.value.errors["slug"] == ["Another product uses this slug"]


def test_update_changes_stock_and_guarantee_and_keeps_its_own_slug(app, make_product):
    product = make_product(slug="mine")
    catalog.update_product(product, {"stock": 3, "guarantee_days": 90, "slug": "mine"})
    db.session.commit()
    assert (product.stock, product.guarantee_days) == (3, 90)


def test_publish_and_unpublish(app, make_product):
    product = make_product()
    catalog.set_published(product, False)
    assert product.published is False
    catalog.set_published(product, True)
    assert product.published is True


def test_ingredients_are_saved_in_the_given_order(app, make_product):
    product = make_product(ingredients=[("A", "1", "mg"), ("B", "2", "mg")])
    catalog.save_ingredients(product, [catalog.IngredientRow("B", Decimal("2"), "mg"),
                                       catalog.IngredientRow("C", Decimal("0.5"), "g")])
    db.session.commit()
    db.session.expire_all()
    assert [(i.name, i.position) for i in catalog.get_product(product.id).ingredients] == [("B", 0), ("C", 1)]


def test_ingredient_rows_are_checked(app, make_product):
    product = make_product(ingredients=[("A", "1", "mg")])
    with pytest.raises(Unprocessable) as refused:
        catalog.save_ingredients(product, [catalog.IngredientRow("", Decimal("-1"), "")])
    assert set(refused.value.errors) == {"ingredients.0.name", "ingredients.0.amount", "ingredients.0.unit"}
    assert [i.name for i in product.ingredients] == ["A"]


def test_move_and_remove_an_ingredient(app, make_product):
    product = make_product(ingredients=[("A", "1", "mg"), ("B", "2", "mg"), ("C", "3", "mg")])
    a, b, c = product.ingredients
    catalog.move_ingredient(product, c.id, -1)
    assert [i.name for i in product.ingredients] == ["A", "C", "B"]
    catalog.move_ingredient(product, a.id, -1)  # already first: stays put
    assert [i.name for i in product.ingredients] == ["A", "C", "B"]
    catalog.remove_ingredient(product, a.id)
    db.session.commit()
    db.session.expire_all()
    assert [i.name for i in catalog.get_product(product.id).ingredients] == ["C", "B"]
    with pytest.raises(NotFound):
        catalog.remove_ingredient(product, 999_999)


def plan_of(product_id):
    db.session.expire_all()
    return [(s.day, s.capsules) for s in catalog.get_product(product_id).titration_steps]


def test_save_plan_replaces_the_steps(app, make_product):
    product = make_product(plan=[(0, 1, "dose", ""), (7, 2, "dose", ""), (14, 3, "dose", "")])
    # Reordered doses on the same days (unique per product) are written without a clash
    catalog.save_plan(product, [catalog.StepRow(0, 1), catalog.StepRow(7, 3), catalog.StepRow(21, 2)])
    db.session.commit()
    assert plan_of(product.id) == [(0, 1), (7, 3), (21, 2)]


def test_an_empty_plan_is_allowed(app, make_product):
    product = make_product(plan=[(0, 1, "dose", "")])
    catalog.save_plan(product, [])
    db.session.commit()
    assert plan_of(product.id) == []


@pytest.mark.parametrize("steps, key, message", [
    ([(0, 1), (7, 2), (3, 3)], "steps.2.day", "Days must go up from one step to the next"),
    ([(0, 1), (7, 2), (7, 3)], "steps.2.day", "Two steps on day 7; each step needs a day of its own"),
    ([(-1, 1)], "steps.0.day", "Day must be 0 or later"),
    ([(0, 0)], "steps.0.capsules", "At least 1 capsule"),
    ([(0, None)], "steps.0.capsules", "At least 1 capsule"),
    ([(None, 1)], "steps.0.day", "A whole number of days"),
])
def test_a_bad_plan_is_refused_and_the_old_one_stays(app, make_product, steps, key, message):
    product = make_product(plan=[(0, 1, "dose", ""), (7, 2, "dose", "")])
    with pytest.raises(Unprocessable) as refused:
        catalog.save_plan(product, [catalog.StepRow(day, capsules) for day, capsules in steps])
    assert refused.value.errors[key] == [message]
    db.session.rollback()
    assert plan_of(product.id) == [(0, 1), (7, 2)]


def test_add_a_step_where_its_day_belongs_and_remove_one(app, make_product):
    product = make_product(plan=[(0, 1, "dose", ""), (14, 3, "dose", "")])
    catalog.add_step(product, catalog.StepRow(7, 2))
    db.session.commit()
    assert plan_of(product.id) == [(0, 1), (7, 2), (14, 3)]
    product = catalog.get_product(product.id)
    with pytest.raises(Unprocessable) as refused:
        catalog.add_step(product, catalog.StepRow(7, 5))
    assert "day" in refused.value.errors  # reported against the new step's own field
    db.session.rollback()
    product = catalog.get_product(product.id)
    catalog.remove_step(product, product.titration_steps[0].id)
    db.session.commit()
    assert plan_of(product.id) == [(7, 2), (14, 3)]
