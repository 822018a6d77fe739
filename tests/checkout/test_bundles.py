"""Bundles: several bottles at one price, bought with a checkout line `{slug, bundle: N}`."""
from datetime import UTC, datetime

from sqlalchemy import select

from shop.extensions import db
from shop.followups.models import REORDER, FollowUp
from shop.fulfilment.services import deliver_order
from shop.orders.models import PAID, Order, OrderItem
from shop.orders.states import transition


def _stock(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).stock


def _reorder_day(order_id: int) -> int:
    return db.session.scalar(select(FollowUp.step_day).where(FollowUp.order_id == order_id, FollowUp.kind == REORDER))


def _paid(stripe_standin, body) -> Order:
    stripe_standin.pay(body["stripe_checkout_session_id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    db.session.expire_all()
    return db.session.get(Order, body["order_id"])


def test_the_product_offers_its_bundle(api, mag_rr):
    body = api.get("/api/v1/products/mag-rr").get_json()
    [bundle] = body["bundles"]
    assert bundle["bottles"] == 3 and bundle["price"] < 3 * body["price"]
    assert bundle["label"] == "3 bottles, save 15%"


def test_a_bundle_line_buys_the_bundle_at_its_price_and_reserves_every_bottle(
        checkout, api, mag_rr, stripe_standin, stripe_client):
    # given Mag R&R, 49.00 a bottle or 124.95 for three, with 500 in stock
    before = _stock(mag_rr)
    # when a customer checks out one 3-bottle bundle
    response = checkout([{"slug": "mag-rr", "bundle": 3}])
    # then the order costs the bundle price and three bottles are held
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["total"] == 12495
    assert _stock(mag_rr) == before - 3
    # and Stripe's line item names the bundle at its price
    [line] = stripe_client.v1.checkout.sessions.line_items.list(body["stripe_checkout_session_id"]).data
    assert (line.quantity, line.amount_subtotal) == (1, 12495)
    assert line.description == "Mag R&R — 3 bottles, save 15%"
    # and once Stripe confirms payment (the subtotal check passes), the order shows its line
    assert _paid(stripe_standin, body).status == PAID
    order = api.get(f"/api/v1/orders/{body['order_id']}", headers={"X-Order-Token": body["order_token"]}).get_json()
    assert order["items"] == [{"slug": "mag-rr", "name": "Mag R&R — 3 bottles, save 15%", "quantity": 1,
                               "unit_price": 12495, "bundle": 3, "bottles": 3}]


def test_quantity_counts_bundles_beside_single_bottles(checkout, mag_rr, stripe_standin):
    before = _stock(mag_rr)
    response = checkout([{"slug": "mag-rr", "bundle": 3, "quantity": 2}, {"slug": "mag-rr", "quantity": 1}])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["total"] == 2 * 12495 + 4900
    assert _stock(mag_rr) == before - 7
    items = db.session.scalars(select(OrderItem).where(OrderItem.order_id == response.get_json()["order_id"])
                               .order_by(OrderItem.id)).all()
    assert [(i.quantity, i.unit_price, i.bottles) for i in items] == [(2, 12495, 6), (1, 4900, 1)]
    assert _paid(stripe_standin, response.get_json()).status == PAID


def test_a_bundle_size_the_product_does_not_offer_is_refused(checkout, mag_rr):
    before = _stock(mag_rr)
    response = checkout([{"slug": "mag-rr", "quantity": 1}, {"slug": "mag-rr", "bundle": 6}])
    assert response.status_code == 422
    assert "items.1.bundle" in response.get_json()["errors"]
    assert _stock(mag_rr) == before
    assert db.session.scalar(select(Order.id)) is None


def test_a_line_needs_a_quantity_or_a_bundle(checkout, mag_rr):
    response = checkout([{"slug": "mag-rr"}])
    assert response.status_code == 422
    assert "items.0.quantity" in response.get_json()["errors"]
    for bad in (1, 0, "3", 2.5):
        assert "items.0.bundle" in checkout([{"slug": "mag-rr", "bundle": bad}]).get_json()["errors"]


def test_stock_that_cannot_cover_the_bundle_answers_409(checkout, make_product):
    product = make_product(slug="mag-rr", stock=2)
    response = checkout([{"slug": "mag-rr", "bundle": 3}])
    assert response.status_code == 409
    assert _stock(product) == 2


def test_cancelling_a_bundle_order_gives_every_bottle_back(checkout, api, mag_rr, stripe_standin):
    before = _stock(mag_rr)
    body = checkout([{"slug": "mag-rr", "bundle": 3}]).get_json()
    stripe_standin.expire(body["stripe_checkout_session_id"])
    stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
    assert _stock(mag_rr) == before


def test_the_reorder_reminder_counts_the_bundles_bottles(checkout, mag_rr, stripe_standin):
    # given one order of a 3-bottle bundle and one of 3 single bottles, both paid and delivered
    at = datetime(2026, 5, 5, 14, 0, tzinfo=UTC)
    ids = []
    for line in ({"slug": "mag-rr", "bundle": 3}, {"slug": "mag-rr", "quantity": 3}):
        body = checkout([line]).get_json()
        order = _paid(stripe_standin, body)
        transition(order, "shipped", actor="system")
        db.session.commit()
        deliver_order(order.id, delivered_at=at, actor="staff:test", now=at)
        db.session.commit()
        ids.append(order.id)
    # then the reminder comes on the same day for both, later than for one bottle would
    bundle_day, singles_day = (_reorder_day(i) for i in ids)
    assert bundle_day == singles_day
    assert bundle_day > 29
