"""Supplement Facts as data (the API) and as the FDA-style panel (the page), edited by staff."""
import re

from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.extensions import db
from tests.admin.conftest import sign_in, staff_client, web  # noqa: F401  staff signed in through the form

NEW = {"name": "Night Oil", "slug": "night-oil", "summary": "Drops", "price": "24.50", "currency": "usd",
       "capsules_per_bottle": "60", "serving_capsules": "2", "stock": "10", "guarantee_days": "30",
       "description": "", "disclaimer": "", "published": "y"}


def test_the_api_carries_the_facts_of_every_demo_product(client):
    for spec in DEMO_PRODUCTS:
        db.session.add(build_product(spec))
    db.session.commit()
    for spec in DEMO_PRODUCTS:
        facts = client.get(f"/api/v1/products/{spec['slug']}").get_json()["supplement_facts"]
        assert facts["serving_size"] and facts["servings_per_container"] > 0
        assert facts["rows"] and facts["other_ingredients"] and facts["allergens"] and facts["warnings"]
    mag = client.get("/api/v1/products/mag-rr").get_json()["supplement_facts"]
    assert mag["rows"][0] == {"name": "Magnesium (as magnesium glycinate)", "amount": 300.0, "unit": "mg",
                              "daily_value_percent": 71}
    assert {"name": "Melatonin", "amount": 1.0, "unit": "mg", "daily_value_percent": None} in mag["rows"]
    assert "5-HTP" in mag["warnings"] and "melatonin" in mag["warnings"]


def test_the_panel_is_a_table_with_a_dagger_where_no_daily_value_exists(client):
    db.session.add(build_product(DEMO_PRODUCTS[0]))
    db.session.commit()
    html = client.get("/products/mag-rr").get_data(as_text=True)
    panel = html.split('<section class="facts-panel"')[1].split("</section>")[0]
    assert '<h2 id="facts-title" class="facts-title">Supplement Facts</h2>' in panel
    assert "<dt>Serving size</dt><dd>3 capsules</dd>" in panel
    assert "<dt>Servings per container</dt><dd>30</dd>" in panel
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td>\s*<td>(.*?)</td></tr>', panel, re.S)
    assert rows[0] == ("Magnesium (as magnesium glycinate)", "300 mg", "71%")
    melatonin = next(row for row in rows if row[0] == "Melatonin")
    assert '<span aria-hidden="true">†</span>' in melatonin[2] and "Daily Value not established" in melatonin[2]
    assert "† Daily Value not established." in panel
    assert "<strong>Other ingredients:</strong> Hypromellose" in panel
    warnings = html.split('<section class="warnings"')[1].split("</section>")[0]
    assert "Contains 5-HTP" in warnings


def test_staff_edit_the_facts_and_the_daily_values(staff_client, make_product):
    made = make_product(slug="night-oil", ingredients=[("Magnesium", "200", "mg"), ("GABA", "100", "mg")])
    client, _ = staff_client("admin")
    # the product's own fields: serving, servings, other ingredients, allergens, warnings
    fields = {**NEW, "serving_size": "2 softgels", "servings_per_container": "30",
              "other_ingredients": "Olive oil.", "allergens": "Contains: soy.", "warnings": "Keep cool."}
    assert client.post(f"/admin/products/{made.id}", data=fields).status_code == 303
    # the rows: ingredients with their % Daily Value (empty where none is established)
    rows = {"rows-0-position": "1", "rows-0-name": "Magnesium", "rows-0-amount": "200", "rows-0-unit": "mg",
            "rows-0-daily_value_percent": "48", "rows-1-position": "2", "rows-1-name": "GABA",
            "rows-1-amount": "100", "rows-1-unit": "mg", "rows-1-daily_value_percent": ""}
    assert client.post(f"/admin/products/{made.id}/ingredients", data=rows).status_code == 303
    facts = client.get("/api/v1/products/night-oil").get_json()["supplement_facts"]
    assert facts == {"serving_size": "2 softgels", "servings_per_container": 30, "other_ingredients": "Olive oil.",
                     "allergens": "Contains: soy.", "warnings": "Keep cool.",
                     "rows": [{"name": "Magnesium", "amount": 200.0, "unit": "mg", "daily_value_percent": 48},
                              {"name": "GABA", "amount": 100.0, "unit": "mg", "daily_value_percent": None}]}
    # and the editor shows them back
    page = client.get(f"/admin/products/{made.id}").get_data(as_text=True)
    assert 'value="2 softgels"' in page and 'name="rows-0-daily_value_percent" type="number" value="48"' in page


def test_a_serving_left_blank_follows_from_the_capsules(client, make_product):
    make_product(slug="plain", serving_size="", servings_per_container=None, capsules_per_bottle=90,
                 serving_capsules=3)
    facts = client.get("/api/v1/products/plain").get_json()["supplement_facts"]
    assert (facts["serving_size"], facts["servings_per_container"]) == ("3 capsules", 30)


def test_bad_facts_are_refused_and_change_nothing(staff_client, make_product):
    made = make_product(slug="night-oil")
    client, _ = staff_client("admin")
    response = client.post(f"/admin/products/{made.id}", data={**NEW, "servings_per_container": "0"})
    assert response.status_code == 422 and "A whole number of at least 1" in response.get_data(as_text=True)
    response = client.post(f"/admin/products/{made.id}", data={**NEW, "warnings": "x" * 5001})
    assert response.status_code == 422 and "longer than 5000 characters" in response.get_data(as_text=True)
    rows = {"rows-0-position": "1", "rows-0-name": "Magnesium", "rows-0-amount": "200", "rows-0-unit": "mg",
            "rows-0-daily_value_percent": "-5"}
    response = client.post(f"/admin/products/{made.id}/ingredients", data=rows)
    assert response.status_code == 422 and "A whole percentage from 0" in response.get_data(as_text=True)
    assert client.get("/api/v1/products/night-oil").get_json()["supplement_facts"]["rows"][0]["name"] == \
        "Magnesium (as magnesium glycinate)"


def test_staff_edit_the_products_own_advice(staff_client, make_product):
    made = make_product(slug="night-oil")
    client, _ = staff_client("admin")
    fields = {**NEW, "dose_timing": "with lunch", "side_effect_advice": "Headache? Drink water.",
              "stopping_advice": "Stop whenever you like.", "see_doctor_if": "a rash\n\nblurred vision\n"}
    assert client.post(f"/admin/products/{made.id}", data=fields).status_code == 303
    advice = client.get("/api/v1/products/night-oil").get_json()["advice"]
    assert advice == {"dose_timing": "with lunch", "side_effects": "Headache? Drink water.",
                      "stopping": "Stop whenever you like.", "see_a_doctor_if": ["a rash", "blurred vision"]}
    html = client.get("/products/night-oil").get_data(as_text=True)
    assert "Capsules to take each day, with lunch" in html
    assert "<li>a rash;</li><li>blurred vision.</li>" in html
    assert "Vivid dreams" not in html
