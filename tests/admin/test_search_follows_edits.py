"""A search answer (cached per catalogue version, with an ETag) follows every edit staff make."""

EDIT_FORM = {"summary": "Drops", "price": "24.50", "currency": "usd", "capsules_per_bottle": "60",
             "serving_capsules": "2", "stock": "10", "guarantee_days": "30", "description": "", "disclaimer": "",
             "published": "y"}


def _slugs(client, q, path="/api/v1/products"):
    response = client.get(path, query_string={"q": q})
    assert response.status_code == 200
    return [item["slug"] for item in response.get_json()["items"]]


def test_a_search_answer_follows_an_ingredient_edit(app, make_product, staff_client):
    # given a product whose search answer is cached (and sent with an ETag)
    made = make_product(slug="night-oil", name="Night Oil", description="", ingredients=[("Magnesium glycinate", "100", "mg")])
    client, _ = staff_client("admin")
    assert _slugs(client, "glycinate") == ["night-oil"]
    assert _slugs(client, "picolinate") == []
    # when staff change its ingredients in the admin
    form = {"rows-0-position": "1", "rows-0-name": "Zinc picolinate", "rows-0-amount": "100",
            "rows-0-unit": "mg"}
    assert client.post(f"/admin/products/{made.id}/ingredients", data=form).status_code == 303
    # then the same searches answer anew, on the API and the catalogue page
    assert _slugs(client, "picolinate") == ["night-oil"]
    assert _slugs(client, "glycinate") == []
    assert 'href="/products/night-oil"' in client.get("/products?q=picolinate").get_data(as_text=True)


def test_a_search_answer_follows_a_rename(app, make_product, staff_client):
    made = make_product(slug="night-oil", name="Night Oil", ingredients=[])
    client, _ = staff_client("admin")
    assert _slugs(client, "lavender") == []
    response = client.post(f"/admin/products/{made.id}", data={**EDIT_FORM, "name": "Lavender Oil",
                                                               "slug": "night-oil"})
    assert response.status_code == 303
    assert _slugs(client, "lavender") == ["night-oil"]
    assert _slugs(client, "night") == []
