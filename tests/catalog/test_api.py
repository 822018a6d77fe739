"""The catalogue API, exactly as API.md writes it: fields, paging, search, limits, 404s."""
import pytest

from shop.catalog.models import FDA_DISCLAIMER

PRODUCT_FIELDS = {"slug", "name", "summary", "price", "currency", "capsules_per_bottle", "serving_capsules",
                  "in_stock", "rating_average", "rating_count", "guarantee_days"}
ERROR_FIELDS = {"code", "status", "message", "errors"}


def test_list_answers_the_documented_page_shape(client, mag_rr):
    # given one published product
    # when the catalogue is listed with no arguments
    response = client.get("/api/v1/products")
    # then it is one page of 24 with exactly the documented product fields
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (1, 1, 24)
    item = body["items"][0]
    assert set(item) == PRODUCT_FIELDS
    assert item == {
        "slug": "mag-rr", "name": "Mag R&R", "summary": mag_rr.summary, "price": 4900, "currency": "usd",
        "capsules_per_bottle": 90, "serving_capsules": 3, "in_stock": True, "rating_average": None,
        "rating_count": 0, "guarantee_days": 60,
    }


def test_list_pages_by_name_and_counts_everything(client, make_product):
    # given 30 published products and one unpublished
    for index in range(30):
        make_product(slug=f"p-{index:02d}", name=f"Product {index:02d}")
    make_product(slug="hidden", name="Aaa hidden", published=False)
    # when the second page of 25 is asked for
    body = client.get("/api/v1/products?page=2&per_page=25").get_json()
    # then it holds the last five by name, and the total counts only published products
    assert body["total"] == 30
    assert (body["page"], body["per_page"]) == (2, 25)
    assert [item["slug"] for item in body["items"]] == [f"p-{i:02d}" for i in range(25, 30)]


def test_a_page_past_the_end_is_empty_not_an_error(client, mag_rr):
    body = client.get("/api/v1/products?page=9").get_json()
    assert body["items"] == [] and body["total"] == 1


def test_per_page_of_100_is_allowed(client, mag_rr):
    assert client.get("/api/v1/products?per_page=100").status_code == 200


@pytest.mark.parametrize("query, field", [
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("per_page=-5", "per_page"),
    ("per_page=ten", "per_page"),
    ("per_page=1.5", "per_page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=99999999999999999999999999", "page"),
    ("q=" + "x" * 10_000, "q"),
])
def test_bad_paging_or_search_answers_422_naming_the_field(client, mag_rr, query, field):
    # when a paging or search argument is out of range or of the wrong type
    response = client.get(f"/api/v1/products?{query}")
    # then the answer is 422 in the error shape, naming the field
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == ERROR_FIELDS
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert body["message"] == "Validation failed"
    assert list(body["errors"]) == [field]
    assert all(isinstance(m, str) for m in body["errors"][field])


def test_repeated_queries_answer_as_the_first_time(client, make_product):
    # Query strings are parsed once and remembered (shop/api_utils.py); repeats must not differ.
    for index in range(3):
        make_product(slug=f"p{index}", name=f"Product {index}")
    for _ in range(2):
        # when the same queries come again, valid and invalid
        first = client.get("/api/v1/products?per_page=1&page=1").get_json()
        second = client.get("/api/v1/products?per_page=1&page=2").get_json()
        refused = client.get("/api/v1/products?per_page=0")
        # then each answers for its own arguments, and a refused one is refused again
        assert [i["slug"] for i in first["items"]] == ["p0"] and first["page"] == 1
        assert [i["slug"] for i in second["items"]] == ["p1"] and second["page"] == 2
        assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["per_page"]


def test_catalogue_answers_set_no_cookie_and_do_not_vary_by_one(client, mag_rr):
    # The API reads no session: its answers can be cached by any shared cache in front.
    for path in ("/api/v1/products", "/api/v1/products/mag-rr"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "cookie" not in response.headers.get("Vary", "").lower()


def test_search_is_case_insensitive_over_name_and_summary(client, make_product):
    make_product(slug="mag-rr", name="Mag R&R", summary="Night-time magnesium")
    make_product(slug="d3", name="Daylight D3", summary="Vitamin D for mornings", description="One a day.",
                 ingredients=[("Vitamin D3", "50", "mcg")])
    assert _slugs(client, "MAGNESIUM") == ["mag-rr"]
    assert _slugs(client, "daylight") == ["d3"]
    assert _slugs(client, "  mornings  ") == ["d3"]


@pytest.mark.parametrize("q, expected", [
    ("100%", ["percent"]),
    ("%", ["percent"]),
    ("_", ["under"]),
    ("a_b", ["under"]),
    ("it's", ["quote"]),
    ('say "hi"', ["quote"]),
    ("back\\slash", ["backslash"]),
    ("\\", ["backslash"]),
    ("' OR '1'='1", []),
    ("'; DROP TABLE products; --", []),
    ("<script>alert(1)</script>", []),
])
def test_search_treats_metacharacters_literally(client, make_product, q, expected):
    # given products whose names hold the characters SQL's LIKE treats specially
    make_product(slug="percent", name="Zinc 100% daily", summary="plain", description="", ingredients=[])
    make_product(slug="under", name="Omega a_b", summary="plain", description="", ingredients=[])
    make_product(slug="quote", name="It's magnesium", summary='They say "hi"', description="", ingredients=[])
    make_product(slug="backslash", name="Back\\slash", summary="plain", description="", ingredients=[])
    make_product(slug="plain", name="Plain capsule", summary="nothing special", description="", ingredients=[])
    # when searching for them, they match literally (and nothing else does)
    assert _slugs(client, q) == expected
    # and the catalogue is intact
    assert client.get("/api/v1/products").get_json()["total"] == 5


def test_detail_has_ingredients_plan_and_disclaimer(client, mag_rr):
    response = client.get("/api/v1/products/mag-rr")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == PRODUCT_FIELDS | {"description", "ingredients", "titration", "disclaimer", "images",
                                          "supplement_facts", "advice", "subscription_discount_percent", "bundles"}
    assert body["ingredients"][0] == {"name": "Magnesium (as magnesium glycinate)", "amount": 300.0, "unit": "mg"}
    assert len(body["ingredients"]) == 8
    assert [(s["day"], s["capsules"]) for s in body["titration"]] == [(0, 1), (7, 2), (14, 3), (30, 3), (60, 3)]
    assert set(body["titration"][0]) == {"day", "capsules", "note"}
    assert body["disclaimer"] == FDA_DISCLAIMER
    assert body["bundles"] == [{"bottles": 3, "price": 12495, "label": "3 bottles, save 15%"}]


def test_a_product_with_no_plan_has_an_empty_titration(client, make_product):
    make_product(slug="d3", plan=[])
    assert client.get("/api/v1/products/d3").get_json()["titration"] == []


@pytest.mark.parametrize("slug", ["unknown", "hidden", "x" * 300, "%25", "' OR 1=1 --"])
def test_unknown_or_unpublished_product_is_404(client, make_product, slug):
    make_product(slug="hidden", published=False)
    response = client.get(f"/api/v1/products/{slug}")
    assert response.status_code == 404
    body = response.get_json()
    assert body == {"code": 404, "status": "Not Found", "message": "Product not found", "errors": {}}


def test_openapi_document_describes_the_catalogue(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/products", "/api/v1/products/{slug}"} <= set(spec["paths"])
    names = {p["name"] for p in spec["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert {"page", "per_page", "q"} <= names
    assert client.get("/api/docs").status_code == 200


def _slugs(client, q):
    response = client.get("/api/v1/products", query_string={"q": q})
    assert response.status_code == 200
    return sorted(item["slug"] for item in response.get_json()["items"])


def test_the_openapi_document_validates(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/openapi.json").get_json())
