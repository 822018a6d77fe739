"""POST /api/v1/products/<slug>/reviews: the contract of API.md, messages word for word."""
import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.reviews.models import PENDING, Entry

REQUIRED = "Required field missing"
EMAIL_INVALID = "Email address invalid"
WEBSITE_INVALID = "Website address invalid"

# Every way of leaving a field out: missing key (Ellipsis drops it), empty, whitespace, null.
BLANKS = [..., "", "   \n\t ", None]


def entries_count():
    return db.session.scalar(select(func.count(Entry.id)))


def assert_422(response, field, message):
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert body["message"] == "Validation failed"
    assert body["errors"][field] == [message]


def test_a_valid_review_waits_for_moderation(mag_rr, post_entry):
    # when
    response = post_entry()
    # then
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "status": "pending"}
    entry = db.session.get(Entry, body["id"])
    assert (entry.kind, entry.rating, entry.status, entry.email) == ("review", 5, PENDING, "dana@example.com")


@pytest.mark.parametrize("field", ["name", "email", "body", "kind", "rating"])
def test_every_required_field_left_out_is_required_field_missing(mag_rr, post_entry, field):
    # rating: required for a review
    for blank in BLANKS:
        # when
        response = post_entry(**{field: blank})
        # then
        assert_422(response, field, REQUIRED)
    assert entries_count() == 0


@pytest.mark.parametrize("field", ["name", "email", "body"])
def test_a_reply_needs_the_same_fields(mag_rr, post_entry, make_entry, field):
    # given a published question
    question = make_entry(mag_rr, kind="question")
    for blank in BLANKS:
        # when a reply leaves a field out
        response = post_entry(kind=..., rating=..., parent_id=question.id, **{field: blank})
        # then
        assert_422(response, field, REQUIRED)
    assert entries_count() == 1


MALFORMED_EMAILS = ["not-an-email", "dana@", "@example.com", "dana@example", "da na@example.com",
                    "dana@exa mple.com", "<script>@x.com", "a" * 250 + "@example.com"]
MALFORMED_WEBSITES = ["javascript:alert(1)", "ftp://example.com", "http://", "not a url", "https://exa mple.com",
                      "https://example.com/\"onmouseover=alert(1)", "data:text/html,hi", "http://localhost",
                      "https://example.com:abc", "https://user:pass@example.com", "https://" + "a" * 200 + ".com"]


def test_a_malformed_email_is_email_address_invalid(mag_rr, post_entry):
    for email in MALFORMED_EMAILS:
        assert_422(post_entry(email=email), "email", EMAIL_INVALID)
    assert entries_count() == 0


def test_a_malformed_website_is_website_address_invalid(mag_rr, post_entry):
    for website in MALFORMED_WEBSITES:
        assert_422(post_entry(website=website), "website", WEBSITE_INVALID)
    assert entries_count() == 0


def test_website_is_optional(mag_rr, post_entry):
    for n, website in enumerate([..., "", "  ", None]):
        assert post_entry(website=website, body=f"Review {n}").status_code == 201
    assert entries_count() == 4


def test_a_website_without_scheme_is_read_as_https(mag_rr, post_entry):
    response = post_entry(website="dana.example.org/blog")
    assert db.session.get(Entry, response.get_json()["id"]).website == "https://dana.example.org/blog"


def test_several_faults_are_reported_together(mag_rr, post_entry):
    response = post_entry(name="", email="nope", website="javascript:x", rating=None)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "name": [REQUIRED], "email": [EMAIL_INVALID], "website": [WEBSITE_INVALID], "rating": [REQUIRED],
    }


def test_rating_is_a_whole_number_from_one_to_five(mag_rr, post_entry):
    for rating in (0, 6, -1, 4.5, "five", True, [5]):
        response = post_entry(rating=rating)
        assert response.status_code == 422
        assert response.get_json()["errors"]["rating"] == ["Rating must be a whole number from 1 to 5"]
    assert post_entry(rating="4").status_code == 201


def test_a_question_needs_no_rating_and_may_not_have_one(mag_rr, post_entry):
    assert post_entry(kind="question", rating=...).status_code == 201
    assert "rating" in post_entry(kind="question", rating=3, body="Other").get_json()["errors"]


def test_an_unknown_kind_is_refused(mag_rr, post_entry):
    assert "kind" in post_entry(kind="rant").get_json()["errors"]


def test_length_caps(mag_rr, post_entry):
    assert_422(post_entry(body="x" * 4001), "body", "At most 4000 characters")
    assert_422(post_entry(name="n" * 81), "name", "At most 80 characters")
    assert post_entry(body="x" * 4000).status_code == 201


def test_a_reply_has_no_kind_or_rating_and_inherits_its_parents_kind(mag_rr, post_entry, make_entry):
    question = make_entry(mag_rr, kind="question")
    response = post_entry(kind=..., rating=..., parent_id=question.id, body="Me too!")
    assert response.status_code == 201
    reply = db.session.get(Entry, response.get_json()["id"])
    assert (reply.kind, reply.parent_id, reply.rating) == ("question", question.id, None)
    refused = post_entry(parent_id=question.id, body="With rating")
    assert set(refused.get_json()["errors"]) == {"kind", "rating"}


def test_a_reply_must_answer_a_published_top_level_entry_of_the_same_product(
        mag_rr, make_product, post_entry, make_entry):
    other = make_product(slug="other")
    pending = make_entry(mag_rr, kind="question", status="pending")
    foreign = make_entry(other, kind="question")
    top = make_entry(mag_rr, kind="question")
    reply = make_entry(mag_rr, parent=top)
    for parent_id in (pending.id, foreign.id, reply.id, 999_999):
        response = post_entry(kind=..., rating=..., parent_id=parent_id)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == ["parent_id"]
    assert entries_count() == 4


def test_the_same_post_twice_within_a_day_is_one_entry(mag_rr, post_entry):
    first = post_entry(body="Great  stuff")
    again = post_entry(body="great stuff ", email="DANA@example.com")
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert entries_count() == 1
    assert post_entry(body="Something else").get_json()["id"] != first.get_json()["id"]


def test_unknown_or_unpublished_product_is_404(make_product, post_entry):
    make_product(slug="hidden", published=False)
    assert post_entry(slug="nope").status_code == 404
    assert post_entry(slug="hidden").status_code == 404


def test_a_body_that_is_not_an_object_is_a_4xx(mag_rr, client):
    for payload in ("[1, 2]", '"text"', "null", "{not json"):
        response = client.post("/api/v1/products/mag-rr/reviews", data=payload, content_type="application/json")
        assert response.status_code in (400, 422)
        assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert entries_count() == 0
