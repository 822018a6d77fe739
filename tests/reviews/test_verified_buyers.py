"""Verified buyers need proof of a paid order of the product: its X-Order-Token, the order page
opened from its signed link, or the confirmation link emailed to the buyer's address. A typed
address is no proof. The titration stage comes from the proven order's delivery."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.orders.models import DELIVERED, PAID, PENDING_PAYMENT, REFUNDED
from shop.reviews.models import Entry


def posted(post_entry, **fields):
    response = post_entry(**fields)
    assert response.status_code == 201, response.get_json()
    return db.session.get(Entry, response.get_json()["id"])


@pytest.fixture
def post_with_token(client):
    """POST a review through the API carrying `X-Order-Token: token`."""

    def post(token, slug="mag-rr", email="buyer@example.com"):
        response = client.post(f"/api/v1/products/{slug}/reviews", headers={"X-Order-Token": token}, json={
            "kind": "review", "name": "Dana", "email": email, "rating": 5, "body": "I sleep through the night now."})
        assert response.status_code == 201, response.get_json()
        return db.session.get(Entry, response.get_json()["id"])

    return post


def _confirmation_link(to: str) -> str:
    message = db.session.scalars(select(EmailMessage).where(
        EmailMessage.kind == "review_buyer_confirmation", EmailMessage.to == to)).one()
    return re.search(r"http://shop\.test(/reviews/confirm/\S+)", message.body_text).group(1)


def test_the_order_token_of_a_paid_order_makes_a_verified_buyer(mag_rr, make_order, post_with_token):
    # given a paid order of the product
    _, token = make_order(mag_rr, email="Buyer@Example.com", status=PAID)
    # when its buyer posts with the order's token, under any address
    entry = post_with_token(token, email="another-address@example.com")
    # then the entry is from a verified buyer
    assert entry.verified_buyer is True
    assert entry.titration_stage is None  # paid, not delivered yet: no stage


def test_typing_a_buyers_email_address_is_no_proof(mag_rr, make_order, post_entry):
    # given a paid order placed with an address
    make_order(mag_rr, email="buyer@example.com", status=DELIVERED, delivered_at=utcnow() - timedelta(days=20))
    # when someone posts with that address and no token
    entry = posted(post_entry, email="buyer@example.com")
    # then the entry is not verified, and shows no stage of the plan
    assert (entry.verified_buyer, entry.titration_stage) == (False, None)


def test_the_buyers_address_is_asked_to_confirm_and_the_link_verifies_once(
        mag_rr, make_order, post_entry, client):
    # given a delivered order, and a post with its address but no token
    make_order(mag_rr, email="buyer@example.com", status=DELIVERED, delivered_at=utcnow() - timedelta(days=20))
    entry = posted(post_entry, email="Buyer@example.com")
    # when the email sent to that address is opened and its link clicked
    link = _confirmation_link("buyer@example.com")
    response = client.get(link)
    # then the entry is verified, with the stage reached when it was written
    assert response.status_code == 303 and response.headers["Location"].startswith("/products/mag-rr")
    db.session.expire_all()
    confirmed = db.session.get(Entry, entry.id)
    assert (confirmed.verified_buyer, confirmed.titration_stage) == (True, "full dose since day 14")
    # ... and clicking again changes nothing
    assert client.get(link).status_code == 303


def test_no_confirmation_is_sent_to_an_address_that_bought_nothing(mag_rr, make_order, post_entry):
    make_order(mag_rr, email="buyer@example.com", status=PENDING_PAYMENT)
    posted(post_entry, email="buyer@example.com")
    assert db.session.scalars(select(EmailMessage)).all() == []


@pytest.mark.parametrize("link", ["/reviews/confirm/forged", "/reviews/confirm/" + "x" * 80])
def test_a_forged_confirmation_link_verifies_nothing(mag_rr, make_order, post_entry, client, link):
    make_order(mag_rr, email="buyer@example.com", status=PAID)
    entry = posted(post_entry, email="buyer@example.com")
    assert client.get(link).status_code == 404
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).verified_buyer is False


def test_the_order_page_leads_to_a_review_that_shows_the_purchase(app, client, mag_rr, make_order):
    from shop.orders.access import order_page_url

    # given a buyer who opened their order page from the emailed link
    order, _ = make_order(mag_rr, email="buyer@example.com", status=PAID)
    with app.test_request_context():
        link = order_page_url(order, external=False)
    page = client.get(link).get_data(as_text=True)
    # then the page offers a review of what they bought
    assert 'href="/products/mag-rr#write-review"' in page
    # when they post the product page's review form in the same browser
    response = client.post("/products/mag-rr/reviews", data={
        "review-name": "Dana", "review-email": "dana@example.com", "review-rating": "5",
        "review-website": "", "review-body": "Slept well from week two."})
    # then the entry is from a verified buyer
    assert response.status_code == 303
    entry = db.session.scalars(select(Entry)).one()
    assert entry.verified_buyer is True


@pytest.mark.parametrize("status", [PENDING_PAYMENT])
def test_the_token_of_an_unpaid_order_does_not(mag_rr, make_order, post_with_token, status):
    _, token = make_order(mag_rr, email="buyer@example.com", status=status)
    assert post_with_token(token).verified_buyer is False


def test_the_token_of_an_order_of_another_product_or_a_wrong_token_does_not(
        mag_rr, make_product, make_order, post_with_token):
    other = make_product(slug="other")
    _, other_token = make_order(other, email="buyer@example.com", status=DELIVERED)
    make_order(mag_rr, email="buyer@example.com", status=DELIVERED)
    assert post_with_token(other_token).verified_buyer is False
    assert post_with_token("not-a-token", email="b2@example.com").verified_buyer is False


def test_a_refunded_buyer_is_still_a_buyer(mag_rr, make_order, post_with_token):
    from shop.orders import states

    order, token = make_order(mag_rr, email="buyer@example.com", status=DELIVERED)
    order.refunded_total = order.total
    states.transition(order, REFUNDED, actor="stripe")
    db.session.commit()
    assert post_with_token(token).verified_buyer is True


@pytest.mark.parametrize("days,stage", [
    (3, "1 capsule nightly, day 3"),
    (10, "2 capsules nightly since day 7"),
    (20, "full dose since day 14"),
    (45, "full dose since day 14"),  # check-ins are not dose changes
])
def test_the_stage_reached_when_writing_comes_from_the_delivery_and_the_plan(
        mag_rr, make_order, post_with_token, days, stage):
    # given an order delivered `days` ago
    _, token = make_order(mag_rr, email="buyer@example.com", status=DELIVERED,
                          delivered_at=utcnow() - timedelta(days=days, hours=1))
    # when
    entry = post_with_token(token)
    # then
    assert (entry.verified_buyer, entry.titration_day, entry.titration_stage) == (True, days, stage)


def test_a_product_without_a_plan_says_how_long_it_was_taken(make_product, make_order, post_with_token):
    product = make_product(slug="plain", plan=[])
    _, token = make_order(product, email="buyer@example.com", status=DELIVERED,
                          delivered_at=utcnow() - timedelta(days=12))
    entry = post_with_token(token, slug="plain")
    assert entry.titration_stage == "day 12 of use"


def test_the_badge_and_stage_show_on_the_page(mag_rr, make_order, post_with_token, client, staff_headers):
    _, token = make_order(mag_rr, email="buyer@example.com", status=DELIVERED,
                          delivered_at=utcnow() - timedelta(days=20))
    entry = post_with_token(token)
    client.post(f"/api/v1/admin/reviews/{entry.id}/publish", headers=staff_headers("support"))
    page = client.get("/products/mag-rr").get_data(as_text=True)
    assert "Verified buyer · full dose since day 14" in page
    listed = client.get("/api/v1/products/mag-rr/reviews").get_json()["items"]
    assert listed[0]["verified_buyer"] is True
