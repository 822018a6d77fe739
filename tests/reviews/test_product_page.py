"""The reviews section of the product page: forms, thread, votes, pagination, JSON-LD, queries."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from shop.db import utcnow
from shop.extensions import db
from shop.reviews.models import PENDING, Entry, HelpfulVote

REQUIRED = "Required field missing"
REVIEW = {"review-rating": "5", "review-name": "Dana", "review-email": "dana@example.com",
          "review-website": "", "review-body": "Sleeping better."}
QUESTION = {"question-name": "Ali", "question-email": "ali@example.com", "question-body": "With food?"}


def count_entries():
    return db.session.scalar(select(func.count(Entry.id)))


def field_errors(html: str, field_id: str) -> list[str]:
    return re.findall(rf'<span class="field-error" id="{re.escape(field_id)}-error">([^<]*)</span>', html)


def test_posting_a_review_redirects_back_with_a_thank_you(mag_rr, client):
    # when
    response = client.post("/products/mag-rr/reviews", data=REVIEW)
    # then
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/products/mag-rr#reviews")
    page = client.get("/products/mag-rr").get_data(as_text=True)
    assert "Thanks — your review is waiting for moderation" in page
    assert "Sleeping better." not in page  # pending
    entry = db.session.scalars(select(Entry)).one()
    assert (entry.kind, entry.rating, entry.status, entry.email) == ("review", 5, PENDING, "dana@example.com")


def test_asking_a_question_from_the_page(mag_rr, client):
    response = client.post("/products/mag-rr/questions", data=QUESTION, follow_redirects=True)
    assert "Thanks — your question is waiting for moderation" in response.get_data(as_text=True)
    assert db.session.scalars(select(Entry)).one().kind == "question"


@pytest.mark.parametrize("field", ["name", "email", "body", "rating"])
def test_a_missing_field_is_shown_beside_it(mag_rr, client, field):
    for blank in (None, "", "   "):  # missing, empty, whitespace
        # given
        data = dict(REVIEW)
        if blank is None:
            del data[f"review-{field}"]
        else:
            data[f"review-{field}"] = blank
        # when
        response = client.post("/products/mag-rr/reviews", data=data)
        # then the product page comes back with the message beside the field
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert field_errors(html, f"review-{field}") == [REQUIRED]
        assert 'aria-invalid="true"' in html
    assert count_entries() == 0


@pytest.mark.parametrize("field", ["name", "email", "body"])
def test_the_question_and_reply_forms_say_the_same(mag_rr, make_entry, client, field):
    data = dict(QUESTION, **{f"question-{field}": " "})
    html = client.post("/products/mag-rr/questions", data=data).get_data(as_text=True)
    assert field_errors(html, f"question-{field}") == [REQUIRED]
    review = make_entry(mag_rr)
    reply = {"reply-name": "Bo", "reply-email": "bo@example.com", "reply-body": "Same here", f"reply-{field}": ""}
    response = client.post(f"/products/mag-rr/entries/{review.id}/replies", data=reply)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), f"reply-{field}-{review.id}") == [REQUIRED]
    assert count_entries() == 1


def test_malformed_email_and_website_messages_on_the_page(mag_rr, client):
    data = dict(REVIEW, **{"review-email": "dana@", "review-website": "javascript:alert(1)"})
    html = client.post("/products/mag-rr/reviews", data=data).get_data(as_text=True)
    assert field_errors(html, "review-email") == ["Email address invalid"]
    assert field_errors(html, "review-website") == ["Website address invalid"]
    html = client.post("/products/mag-rr/questions", data=dict(QUESTION, **{"question-email": "x"})).get_data(as_text=True)
    assert field_errors(html, "question-email") == ["Email address invalid"]


def test_the_honeypot_pretends_and_keeps_nothing(mag_rr, client):
    response = client.post("/products/mag-rr/reviews", data=dict(REVIEW, **{"review-company": "Spam Inc"}))
    assert response.status_code == 303
    assert count_entries() == 0


def test_forms_need_a_csrf_token_when_csrf_is_on(make_app, make_product):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_product(slug="mag-rr")
        client = app.test_client()
        page = client.get("/products/mag-rr").get_data(as_text=True)
        assert 'name="review-csrf_token"' in page and 'name="question-csrf_token"' in page
        assert client.post("/products/mag-rr/reviews", data=REVIEW).status_code == 400
        token = re.search(r'name="review-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        accepted = client.post("/products/mag-rr/reviews", data=dict(REVIEW, **{"review-csrf_token": token}))
        assert accepted.status_code == 303
        assert count_entries() == 1


def test_a_reply_from_the_page_waits_for_moderation(mag_rr, make_entry, client):
    question = make_entry(mag_rr, kind="question")
    reply = {"reply-name": "Bo", "reply-email": "bo@example.com", "reply-body": "I take it with tea."}
    response = client.post(f"/products/mag-rr/entries/{question.id}/replies", data=reply, follow_redirects=True)
    assert "Thanks — your reply is waiting for moderation" in response.get_data(as_text=True)
    stored = db.session.scalars(select(Entry).where(Entry.parent_id == question.id)).one()
    assert (stored.kind, stored.status) == ("question", PENDING)


def test_average_distribution_staff_answers_and_json_ld(mag_rr, make_entry, client):
    # given
    for rating in (5, 5, 4, 2):
        make_entry(mag_rr, rating=rating, body=f"Rated {rating}")
    question = make_entry(mag_rr, kind="question", body="Can I open the capsule?")
    make_entry(mag_rr, parent=question, is_staff=True, name="Support", body="Yes, twist it open.")
    # when
    html = client.get("/products/mag-rr").get_data(as_text=True)
    # then
    assert "4.0 out of 5" in html and "4 reviews" in html
    assert '<meter min="0" max="4" value="2">2</meter>' in html  # two 5-star reviews
    assert "Staff answer" in html and "Yes, twist it open." in html
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    nodes = [node for block in blocks for node in (block if isinstance(block, list) else [block])]
    [product] = [n for n in nodes if n.get("@type") == "Product"]  # one Product node per page
    assert product["aggregateRating"]["ratingValue"] == 4.0
    assert product["aggregateRating"]["reviewCount"] == 4
    reviews = [n for n in nodes if n.get("@type") == "Review"]
    assert len(reviews) == 4 and {r["itemReviewed"]["@id"] for r in reviews} == {product["@id"]}
    asked = next(n for n in nodes if n["@type"] == "Question")
    assert asked["acceptedAnswer"]["text"] == "Yes, twist it open."
    assert asked["answerCount"] == 1


def test_reviews_are_paginated(mag_rr, make_entry, client):
    now = utcnow()
    for n in range(12):
        make_entry(mag_rr, body=f"Review number {n:02d}.", created_at=now - timedelta(minutes=n))
    first = client.get("/products/mag-rr").get_data(as_text=True)
    second = client.get("/products/mag-rr?reviews_page=2").get_data(as_text=True)
    assert "Review number 00." in first and "Review number 09." in first and "Review number 10." not in first
    assert "Review number 10." in second and "Review number 00." not in second
    assert "reviews_page=2" in first and "Page 1 of 2" in first
    assert client.get("/products/mag-rr?reviews_page=999").status_code == 200
    assert client.get("/products/mag-rr?reviews_page=-4").status_code == 200


def test_helpful_votes_count_one_per_visitor(mag_rr, make_entry, client, app):
    # given
    review = make_entry(mag_rr)
    url = f"/products/mag-rr/entries/{review.id}/helpful"
    # when the same visitor votes twice
    first = client.post(url)
    second = client.post(url, follow_redirects=True)
    # then it counts once
    assert first.status_code == 303 and "visitor=" in first.headers["Set-Cookie"]
    assert "You have already voted" in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Entry, review.id).helpful_count == 1
    # and the same browser without its cookie (same address and agent) still counts once
    fresh = app.test_client()
    fresh.post(url)
    db.session.expire_all()
    assert db.session.get(Entry, review.id).helpful_count == 1
    # while another visitor counts
    other = app.test_client()
    other.post(url, headers={"User-Agent": "Another browser"})
    db.session.expire_all()
    assert db.session.get(Entry, review.id).helpful_count == 2
    assert db.session.scalar(select(func.count(HelpfulVote.id))) == 2
    assert "Helpful (2)" in client.get("/products/mag-rr").get_data(as_text=True)


def test_votes_on_unpublished_entries_are_404(mag_rr, make_entry, client):
    pending = make_entry(mag_rr, status=PENDING)
    assert client.post(f"/products/mag-rr/entries/{pending.id}/helpful").status_code == 404
    assert client.post("/products/mag-rr/entries/987654/helpful").status_code == 404


def _statements(app, client, path):
    """The SQL statements one GET runs, and whether any of them writes."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def _many_entries(product, make_entry, reviews):
    now = utcnow()
    for n in range(reviews):
        review = make_entry(product, rating=1 + n % 5, created_at=now - timedelta(minutes=n), commit=False)
        make_entry(product, parent=review, commit=False)
        question = make_entry(product, kind="question", created_at=now - timedelta(minutes=n), commit=False)
        make_entry(product, parent=question, is_staff=True, name="Support", commit=False)
    db.session.commit()


def test_the_page_query_count_does_not_grow_with_reviews(make_app, make_product, make_entry):
    """N+1 guard: 1 review or 200 (each with a reply, plus 200 answered questions), same count."""
    counts = {}
    for label, reviews in (("one", 1), ("many", 200)):
        app = make_app(CATALOGUE_CACHE_SECONDS=0)
        with app.app_context():
            product = make_product(slug=f"product-{label}")
            _many_entries(product, make_entry, reviews)
            client = app.test_client()
            client.get(f"/products/{product.slug}")  # warm up whatever the process caches
            statements = _statements(app, client, f"/products/{product.slug}")
            counts[label] = len(statements)
            assert not [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]
            review_queries = [s for s in statements if "review_entries" in s]
            assert len(review_queries) == 1
    assert counts["one"] == counts["many"]
    assert counts["many"] <= 4
