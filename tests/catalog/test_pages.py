"""Storefront pages: home, catalogue and the product page with its plan and safety text."""
import json
import re
from html import unescape

from shop.catalog.models import FDA_DISCLAIMER


def test_home_features_the_flagship(client, mag_rr, make_product):
    make_product(slug="zz-other", name="Zz Other")
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Mag R&amp;R" in html
    assert 'href="/products/mag-rr"' in html
    assert "60-day money-back guarantee" in html


def test_home_of_an_empty_store_explains_how_to_seed(client):
    html = client.get("/").get_data(as_text=True)
    assert "seed-demo" in html


def test_catalogue_lists_published_products_with_prices(client, mag_rr, make_product):
    make_product(slug="d3", name="Daylight D3", price=1900)
    make_product(slug="hidden", name="Hidden product", published=False)
    html = client.get("/products").get_data(as_text=True)
    assert "$49.00" in html and "$19.00" in html
    assert "Daylight D3" in html
    assert "Hidden product" not in html


def test_catalogue_search_escapes_what_it_echoes(client, mag_rr):
    html = client.get("/products", query_string={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "No products match." in html


def test_catalogue_pages_through_many_products(client, make_product):
    for index in range(30):
        make_product(slug=f"p-{index:02d}", name=f"Product {index:02d}")
    first = client.get("/products").get_data(as_text=True)
    second = client.get("/products?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Product 23" in first and "Product 24" not in first
    assert "Product 29" in second
    assert client.get("/products?page=-3").status_code == 200
    assert client.get("/products?page=banana").status_code == 200


def test_product_page_shows_price_ingredients_and_safety(client, mag_rr):
    page = client.get("/products/mag-rr")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "$49.00" in html
    assert "Magnesium (as magnesium glycinate)" in html and "300 mg" in html
    assert "Melatonin" in html and "1 mg" in html
    assert "60-day money-back guarantee" in html
    assert FDA_DISCLAIMER in html
    assert "When to see a doctor" in html
    for symptom in ("shooting pain", "tingling or numbness", "severe pain", "muscle weakness or dark urine"):
        assert symptom in html


def test_product_page_shows_the_plan_week_by_week(client, mag_rr):
    html = client.get("/products/mag-rr").get_data(as_text=True)
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(\d+) capsules?</td>', html)
    assert rows == [
        ("Week 1", "1"),
        ("Week 2", "2"),
        ("Weeks 3–5 (nights 15–30)", "3"),
        ("Weeks 5–9 (nights 31–60)", "3"),
        ("Week 9 onwards (from night 61)", "3"),
    ]


def test_plan_aligned_on_weeks_reads_in_whole_weeks(client, make_product):
    make_product(slug="calm", plan=[(0, 1, "dose", "one"), (14, 2, "dose", "two"), (42, 2, "checkin", "six weeks")])
    html = client.get("/products/calm").get_data(as_text=True)
    labels = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>', html)
    assert labels[:3] == ["Weeks 1–2", "Weeks 3–6", "Week 7 onwards"]


def test_product_without_a_plan_has_no_plan_table(client, make_product):
    make_product(slug="d3", name="Daylight D3", plan=[])
    html = client.get("/products/d3").get_data(as_text=True)
    assert "Your dosing plan" not in html
    assert "When to see a doctor" in html


def test_product_page_carries_parsable_schema_org_product(client, mag_rr):
    html = client.get("/products/mag-rr").get_data(as_text=True)
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(unescape(match.group(1)) if "&#" in match.group(1) else match.group(1))
    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert data["name"] == "Mag R&R"
    assert data["offers"]["price"] == "49.00" and data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["url"].endswith("/products/mag-rr")


def test_json_ld_cannot_be_broken_out_of(client, make_product):
    make_product(slug="evil", name="</script><script>alert(1)</script>")
    html = client.get("/products/evil").get_data(as_text=True)
    assert "</script><script>alert(1)" not in html


def test_unknown_and_unpublished_product_pages_are_404(client, make_product):
    make_product(slug="hidden", published=False)
    for slug in ("hidden", "nope"):
        page = client.get(f"/products/{slug}")
        assert page.status_code == 404
        assert "We could not find that page" in page.get_data(as_text=True)
