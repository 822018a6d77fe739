"""The product page's reviews section: its entries read once per catalogue version, forms per request.

The section's data is cached with the catalogue (a published, moderated or voted entry moves the
catalogue version); the blank forms render the very HTML WTForms renders, with the request's
own CSRF token; the JSON-LD follows the request's host, never a cached one.
"""
import re

from sqlalchemy import event

from shop.extensions import db
from shop.reviews.forms import QuestionForm, ReplyForm, ReviewForm, blank_form
from shop.reviews.models import PENDING


def _review_queries(client, path):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    return [s for s in statements if "review_entries" in s], page.get_data(as_text=True)


def test_a_warm_page_reads_no_review_and_shows_a_new_one_once_published(
        make_app, make_product, make_entry, staff_headers):
    app = make_app(CATALOGUE_CACHE_SECONDS=30)
    with app.app_context():
        # given a product page with one review, viewed once
        product = make_product(slug="mag-rr")
        make_entry(product, body="First night slept through.")
        pending = make_entry(product, status=PENDING, body="Calmer evenings.")
        client = app.test_client()
        client.get("/products/mag-rr")

        # when it is viewed again, then the section comes from the cache
        queries, page = _review_queries(client, "/products/mag-rr")
        assert queries == []
        assert "First night slept through." in page and "Calmer evenings." not in page

        # when staff publish the pending review, then the next view shows it
        published = client.post(f"/api/v1/admin/reviews/{pending.id}/publish", headers=staff_headers("support"))
        assert published.status_code == 200
        queries, page = _review_queries(client, "/products/mag-rr")
        assert len(queries) == 1
        assert "Calmer evenings." in page


def test_blank_forms_render_what_wtforms_renders(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context("/products/mag-rr"):
        for form_class in (ReviewForm, QuestionForm, ReplyForm):
            # given the real empty form and its blank stand-in
            real, blank = form_class(formdata=None), blank_form(form_class)
            # then every field renders the same, with the attributes the template passes
            for field in real:
                if field.short_name == "csrf_token":
                    assert str(blank.csrf_token) == str(field)
                    continue
                stand_in = getattr(blank, field.short_name)
                for attrs in ({}, {"id": f"{field.id}-12"}, {"type": "email", "id": field.id},
                              {"rows": 5, "maxlength": 4000, "id": f"{field.id}-7"},
                              {"id": f"{field.id}-3", "tabindex": "-1", "autocomplete": "off"}):
                    assert str(stand_in(**attrs)) == str(field(**attrs))
                assert stand_in.label.text == field.label.text and not stand_in.errors
                assert [str(o()) for o in stand_in] == [str(o()) for o in field] if field.type == "RadioField" \
                    else list(stand_in) == []


def test_json_ld_follows_the_request_host_not_the_cache(make_app, make_product, make_entry):
    app = make_app(CATALOGUE_CACHE_SECONDS=30)
    with app.app_context():
        product = make_product(slug="mag-rr")
        make_entry(product)
        client = app.test_client()
        # given the section cached by a request with a forged Host
        client.get("/products/mag-rr", headers={"Host": "evil.example"})
        # when someone else views the page, then its links are their own host's
        page = client.get("/products/mag-rr").get_data(as_text=True)
        json_ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
        assert "evil.example" not in json_ld
