"""HTTP caching of the catalogue API: an ETag, a short public max-age, 304 while unchanged."""
from shop.extensions import db


def test_an_unchanged_catalogue_answers_304_to_a_conditional_get(client, mag_rr):
    # given a catalogue answer a client has kept, with its ETag
    first = client.get("/api/v1/products?q=mag")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=30"
    # when the client asks again with If-None-Match
    again = client.get("/api/v1/products?q=mag", headers={"If-None-Match": etag})
    # then the answer is a bodiless 304 with the same ETag
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_a_changed_product_answers_200_with_a_new_etag(client, mag_rr):
    # given a client holding the product's answer
    first = client.get("/api/v1/products/mag-rr")
    # when the price changes
    mag_rr.price = 5900
    db.session.commit()
    # then the conditional GET gets the new answer, under a new ETag
    again = client.get("/api/v1/products/mag-rr", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.get_json()["price"] == 5900
    assert again.headers["ETag"] != first.headers["ETag"]


def test_each_query_has_its_own_answer_and_errors_are_not_kept(client, make_product):
    # given two products
    make_product(slug="mag-rr", name="Mag R&R", summary="Night-time magnesium")
    make_product(slug="d3", name="Daylight D3", summary="Vitamin D for mornings", description="One a day.",
                 ingredients=[("Vitamin D3", "50", "mcg")])
    # when different searches are asked, twice each
    for _ in range(2):
        assert [i["slug"] for i in client.get("/api/v1/products?q=daylight").get_json()["items"]] == ["d3"]
        assert [i["slug"] for i in client.get("/api/v1/products?q=night").get_json()["items"]] == ["mag-rr"]
    # then a bad query and an unknown product keep answering their errors, never a kept 200
    for _ in range(2):
        bad = client.get("/api/v1/products?per_page=1000")
        assert bad.status_code == 422 and "public" not in bad.headers.get("Cache-Control", "")
        missing = client.get("/api/v1/products/none")
        assert missing.status_code == 404 and "ETag" not in missing.headers


def test_a_custom_max_age_is_sent(make_app, make_product):
    shop = make_app(CATALOGUE_MAX_AGE=5)
    make_product(slug="d3")
    assert shop.test_client().get("/api/v1/products").headers["Cache-Control"] == "public, max-age=5"


def test_the_catalogue_page_answers_304_until_the_catalogue_changes(client, mag_rr):
    # given a visitor who has the catalogue page, with its ETag
    first = client.get("/products")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=30"
    # when they reload it, then it is unchanged: a 304
    assert client.get("/products", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # and once a product is renamed, the reload gets the new page
    mag_rr.name = "Mag R&R Night"
    db.session.commit()
    again = client.get("/products", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Mag R&amp;R Night" in again.get_data(as_text=True)


def test_a_waiting_message_is_shown_to_its_visitor_only(client, mag_rr):
    # given the catalogue page, kept for everyone
    plain = client.get("/products").get_data(as_text=True)
    # when a visitor's cart add fails and they are sent back to the catalogue with a message
    visitor = client.application.test_client()
    visitor.post("/cart/add", data={"slug": "no-such-product", "quantity": 1})
    with_message = visitor.get("/products")
    # then they see their message, on a page no shared cache may keep
    assert "flash-error" in with_message.get_data(as_text=True)
    assert "public" not in with_message.headers.get("Cache-Control", "")
    # and everyone else, and the visitor's next visit, get the plain page
    assert client.get("/products").get_data(as_text=True) == plain
    assert "flash-error" not in visitor.get("/products").get_data(as_text=True)
