"""Verified buyers are computed from real orders; the titration stage from the delivery."""
from datetime import timedelta

import pytest

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import DELIVERED, PAID, PENDING_PAYMENT, REFUNDED
from shop.reviews.models import Entry


def posted(post_entry, **fields):
    response = post_entry(**fields)
    assert response.status_code == 201, response.get_json()
    return db.session.get(Entry, response.get_json()["id"])


def test_a_paid_order_of_the_product_makes_a_verified_buyer(mag_rr, make_order, post_entry):
    # given
    make_order(mag_rr, email="Buyer@Example.com", status=PAID)
    # when / then
    entry = posted(post_entry, email="buyer@example.com")
    assert entry.verified_buyer is True
    assert entry.titration_stage is None  # paid, not delivered yet: no stage


def test_an_unpaid_order_does_not(mag_rr, make_order, post_entry):
    make_order(mag_rr, email="buyer@example.com", status=PENDING_PAYMENT)
    assert posted(post_entry, email="buyer@example.com").verified_buyer is False


def test_an_order_of_another_product_or_another_email_does_not(mag_rr, make_product, make_order, post_entry):
    other = make_product(slug="other")
    make_order(other, email="buyer@example.com", status=DELIVERED)
    make_order(mag_rr, email="someone-else@example.com", status=DELIVERED)
    assert posted(post_entry, email="buyer@example.com").verified_buyer is False


def test_a_refunded_buyer_is_still_a_buyer(mag_rr, make_order, post_entry):
    from shop.orders import states

    order, _ = make_order(mag_rr, email="buyer@example.com", status=DELIVERED)
    order.refunded_total = order.total
    states.transition(order, REFUNDED, actor="stripe")
    db.session.commit()
    assert posted(post_entry, email="buyer@example.com").verified_buyer is True


@pytest.mark.parametrize("days,stage", [
    (3, "1 capsule nightly, day 3"),
    (10, "2 capsules nightly since day 7"),
    (20, "full dose since day 14"),
    (45, "full dose since day 14"),  # check-ins are not dose changes
])
def test_the_stage_reached_when_writing_comes_from_the_delivery_and_the_plan(
        mag_rr, make_order, post_entry, client, days, stage):
    # given an order delivered `days` ago
    make_order(mag_rr, email="buyer@example.com", status=DELIVERED,
               delivered_at=utcnow() - timedelta(days=days, hours=1))
    # when
    entry = posted(post_entry, email="buyer@example.com")
    # then
    assert (entry.verified_buyer, entry.titration_day, entry.titration_stage) == (True, days, stage)


def test_a_product_without_a_plan_says_how_long_it_was_taken(make_product, make_order, post_entry):
    product = make_product(slug="plain", plan=[])
    make_order(product, email="buyer@example.com", status=DELIVERED, delivered_at=utcnow() - timedelta(days=12))
    entry = posted(post_entry, slug="plain", email="buyer@example.com")
    assert entry.titration_stage == "day 12 of use"


def test_the_badge_and_stage_show_on_the_page(mag_rr, make_order, post_entry, client, staff_headers):
    make_order(mag_rr, email="buyer@example.com", status=DELIVERED, delivered_at=utcnow() - timedelta(days=20))
    entry = posted(post_entry, email="buyer@example.com")
    client.post(f"/api/v1/admin/reviews/{entry.id}/publish", headers=staff_headers("support"))
    page = client.get("/products/mag-rr").get_data(as_text=True)
    assert "Verified buyer · full dose since day 14" in page
    listed = client.get("/api/v1/products/mag-rr/reviews").get_json()["items"]
    assert listed[0]["verified_buyer"] is True
