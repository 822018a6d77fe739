"""A review or question posted while signed in carries the account's proof of purchase: the
signed-in address placed a paid order of that product."""
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import PENDING_PAYMENT
from shop.reviews.models import Entry

JANE = "jane@example.com"
REVIEW = {"kind": "review", "name": "Jane", "rating": 5, "body": "I sleep through the night now."}


def _entry(response):
    assert response.status_code == 201, response.get_json()
    return db.session.get(Entry, response.get_json()["id"])


def test_a_signed_in_buyer_posts_as_a_verified_buyer_through_the_api(client, sign_in, mag_rr, make_order):
    # Given a paid guest order of Mag R&R, placed with another spelling of Jane's address
    make_order(mag_rr, email="Jane@Example.com")
    sign_in(client, JANE)
    # When she posts a review and a question while signed in (under any typed address)
    review = _entry(client.post("/api/v1/products/mag-rr/reviews", json={**REVIEW, "email": "j.d@example.org"}))
    question = _entry(client.post("/api/v1/products/mag-rr/reviews", json={
        "kind": "question", "name": "Jane", "email": JANE, "body": "Can I take it with tea?"}))
    # Then both show a verified buyer
    assert review.verified_buyer is True and question.verified_buyer is True


def test_the_page_form_carries_the_account_proof_too(client, sign_in, mag_rr, make_order):
    make_order(mag_rr, email=JANE)
    sign_in(client, JANE)
    response = client.post("/products/mag-rr/reviews", data={
        "review-name": "Jane", "review-email": JANE, "review-rating": "5", "review-body": "Calmer evenings."})
    assert response.status_code == 303
    assert db.session.scalar(select(Entry.verified_buyer)) is True


def test_signed_in_without_a_paid_order_of_the_product_is_no_proof(client, sign_in, mag_rr, make_product, make_order):
    # Given Jane bought another product, and only started a checkout of Mag R&R
    other = make_product(slug="other")
    make_order(other, email=JANE)
    make_order(mag_rr, email=JANE, status=PENDING_PAYMENT)
    sign_in(client, JANE)
    # When she reviews Mag R&R
    entry = _entry(client.post("/api/v1/products/mag-rr/reviews", json={**REVIEW, "email": JANE}))
    # Then it is not a verified buyer's
    assert entry.verified_buyer is False


def test_typing_the_buyers_address_signed_out_is_still_no_proof(client, mag_rr, make_order):
    make_order(mag_rr, email=JANE)
    entry = _entry(client.post("/api/v1/products/mag-rr/reviews", json={**REVIEW, "email": JANE}))
    assert entry.verified_buyer is False
