"""GET /api/v1/products/<slug>/reviews and what the public may see."""
from datetime import timedelta

from sqlalchemy import event

from shop.db import utcnow
from shop.extensions import db
from shop.reviews.models import PENDING, REJECTED


def test_only_published_entries_and_replies_are_listed_newest_first(mag_rr, make_entry, client):
    # given
    now = utcnow()
    old = make_entry(mag_rr, rating=3, created_at=now - timedelta(days=2), body="Old review")
    new = make_entry(mag_rr, rating=5, created_at=now - timedelta(days=1), body="New review")
    make_entry(mag_rr, status=PENDING, body="Waiting review")
    make_entry(mag_rr, status=REJECTED, body="Rejected review")
    question = make_entry(mag_rr, kind="question", body="A question")
    make_entry(mag_rr, kind="question", status=PENDING, body="Pending question")
    first_reply = make_entry(mag_rr, parent=old, created_at=now - timedelta(hours=5), body="First reply")
    second_reply = make_entry(mag_rr, parent=old, created_at=now - timedelta(hours=1), body="Second reply",
                              is_staff=True, name="Support")
    make_entry(mag_rr, parent=old, status=PENDING, body="Pending reply")
    # when
    reviews = client.get("/api/v1/products/mag-rr/reviews?kind=review").get_json()["items"]
    questions = client.get("/api/v1/products/mag-rr/reviews?kind=question").get_json()["items"]
    everything = client.get("/api/v1/products/mag-rr/reviews").get_json()["items"]
    # then
    assert [r["id"] for r in reviews] == [new.id, old.id]
    assert [q["id"] for q in questions] == [question.id]
    assert {e["id"] for e in everything} == {new.id, old.id, question.id}
    assert [r["id"] for r in reviews[1]["replies"]] == [first_reply.id, second_reply.id]
    entry = reviews[1]
    assert set(entry) == {"id", "kind", "name", "rating", "body", "created_at", "verified_buyer", "is_staff", "replies"}
    assert entry["created_at"].endswith("+00:00")
    reply = entry["replies"][1]
    assert (reply["is_staff"], reply["rating"], reply["kind"]) == (True, None, "review")
    assert "replies" not in reply and "email" not in reply
    body = str(client.get("/api/v1/products/mag-rr/reviews").get_data(as_text=True))
    assert "sam@example.com" not in body and "Pending" not in body and "Waiting" not in body


def test_a_posted_entry_is_not_listed_until_published(mag_rr, post_entry, client, staff_headers):
    entry_id = post_entry(body="Secret until moderated").get_json()["id"]
    assert client.get("/api/v1/products/mag-rr/reviews").get_json()["items"] == []
    assert "Secret until moderated" not in client.get("/products/mag-rr").get_data(as_text=True)
    client.post(f"/api/v1/admin/reviews/{entry_id}/publish", headers=staff_headers("support"))
    assert [e["id"] for e in client.get("/api/v1/products/mag-rr/reviews").get_json()["items"]] == [entry_id]
    assert "Secret until moderated" in client.get("/products/mag-rr").get_data(as_text=True)


def test_bad_listing_queries_are_422_and_unknown_products_404(mag_rr, client):
    assert client.get("/api/v1/products/mag-rr/reviews?kind=rant").status_code == 422
    assert client.get("/api/v1/products/mag-rr/reviews?per_page=1000").status_code == 422
    assert client.get("/api/v1/products/nope/reviews").status_code == 404


def test_a_pending_entry_has_no_permalink(mag_rr, make_entry, client):
    pending = make_entry(mag_rr, status=PENDING)
    assert client.get(f"/products/mag-rr/entries/{pending.id}").status_code == 404


def test_the_listing_costs_three_statements_whatever_the_number_of_reviews(app, mag_rr, make_entry, client):
    # given a product with reviews that have replies
    def statements_of_listing() -> list[str]:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get("/api/v1/products/mag-rr/reviews?kind=review&per_page=5")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return seen

    for _ in range(2):
        make_entry(mag_rr, parent=make_entry(mag_rr, rating=5))
    few = statements_of_listing()
    # when many more are published
    for _ in range(8):
        make_entry(mag_rr, parent=make_entry(mag_rr, rating=4))
    many = statements_of_listing()
    # then the product is looked up by its slug alone, then the page and its replies
    assert len(few) == len(many) == 3, many
    assert not any("ingredients" in s or "titration_steps" in s or "bundles" in s for s in many)
