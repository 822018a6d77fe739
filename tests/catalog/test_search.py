"""Catalogue search as a shopper uses it: name, summary, description and ingredient names,
a name match first; misspellings on PostgreSQL; answers that follow every product edit."""
import pytest

from shop.catalog.demo import DEMO_PRODUCTS


def _slugs(client, q, path="/api/v1/products"):
    response = client.get(path, query_string={"q": q})
    assert response.status_code == 200
    return [item["slug"] for item in response.get_json()["items"]]


@pytest.fixture
def demo(make_product):
    for spec in DEMO_PRODUCTS:
        make_product(**{k: v for k, v in spec.items() if k not in ("ingredients", "plan", "bundles")},
                     ingredients=spec["ingredients"], plan=spec["plan"])


def test_an_ingredient_name_finds_the_product(client, demo):
    assert _slugs(client, "glycinate") == ["mag-rr"]
    assert _slugs(client, "Menaquinone") == ["daylight-d3-k2"]


def test_the_description_is_searched(client, demo):
    # only Mag R&R's description mentions 5-HTP's partner, melatonin... and "softgel" is D3's
    assert _slugs(client, "softgel") == ["daylight-d3-k2"]


def test_a_name_match_ranks_before_a_match_elsewhere(client, make_product):
    # given one product that names "calm" and one whose ingredients and text mention it more
    make_product(slug="other", name="Night Blend", summary="calm calm calm", description="calm evenings",
                 ingredients=[("Calm complex", "1", "mg")])
    make_product(slug="named", name="Calm Drops", summary="plain", description="",
                 ingredients=[("Water", "1", "ml")])
    # then the product named so comes first
    assert _slugs(client, "calm") == ["named", "other"]


def test_every_word_must_match(client, demo):
    assert _slugs(client, "magnesium glycinate") == ["mag-rr"]
    assert _slugs(client, "magnesium menaquinone") == []


def test_the_catalogue_page_search_box_finds_ingredients(client, demo):
    html = client.get("/products?q=glycinate").get_data(as_text=True)
    assert 'href="/products/mag-rr"' in html
    assert 'href="/products/daylight-d3-k2"' not in html


def test_unpublished_products_are_not_found(client, make_product):
    make_product(slug="hidden", published=False, ingredients=[("Secret glycinate", "1", "mg")])
    assert _slugs(client, "glycinate") == []


@pytest.mark.postgres
def test_a_misspelling_one_letter_off_finds_the_product_on_postgres(client, demo):
    assert _slugs(client, "magnesum") == ["mag-rr"]
    assert _slugs(client, "ashwaganda") == ["calm-ashwagandha"]
