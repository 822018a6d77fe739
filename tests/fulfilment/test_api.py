"""POST /api/v1/admin/orders/<id>/ship and /deliver (API.md), with their roles."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.db import as_utc, utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups.models import FollowUp
from shop.orders.models import DELIVERED, PAID, PENDING_PAYMENT, SHIPPED, Order


def _ship(client, order_id, headers, body=None):
    return client.post(f"/api/v1/admin/orders/{order_id}/ship", headers=headers,
                       json=body if body is not None else {"carrier": "UPS", "tracking_number": "1Z999AA1"})


def _deliver(client, order_id, headers, body=None):
    return client.post(f"/api/v1/admin/orders/{order_id}/deliver", headers=headers, json=body or {})


@pytest.mark.parametrize("role, expected", [(None, 401), ("support", 403), ("fulfilment", 200), ("admin", 200)])
def test_ship_role_matrix(client, mag_rr, make_order, staff_headers, role, expected):
    order, _ = make_order(mag_rr, status=PAID)
    headers = staff_headers(role) if role else {}
    response = _ship(client, order.id, headers)
    assert response.status_code == expected
    if expected != 200:
        assert response.json["code"] == expected and "errors" in response.json
        assert db.session.get(Order, order.id).status == PAID


@pytest.mark.parametrize("role, expected", [(None, 401), ("support", 403), ("fulfilment", 200), ("admin", 200)])
def test_deliver_role_matrix(client, mag_rr, make_order, staff_headers, role, expected):
    order, _ = make_order(mag_rr, status=SHIPPED)
    response = _deliver(client, order.id, staff_headers(role) if role else {})
    assert response.status_code == expected


def test_a_wrong_token_is_401(client, mag_rr, make_order):
    order, _ = make_order(mag_rr, status=PAID)
    assert _ship(client, order.id, {"Authorization": "Bearer nope"}).status_code == 401


def test_ship_answers_the_order_and_emails_carrier_and_tracking_once(client, mag_rr, make_order, staff_headers):
    # given a paid order
    order, _ = make_order(mag_rr, status=PAID)
    headers = staff_headers("fulfilment")
    # when fulfilment ships it
    response = _ship(client, order.id, headers)
    # then the answer is the Order, shipped
    assert response.status_code == 200
    body = response.json
    assert body["id"] == order.id and body["status"] == SHIPPED and body["shipped_at"].endswith("+00:00")
    assert set(body) >= {"id", "status", "email", "items", "total", "currency", "paid_at", "shipped_at",
                         "delivered_at", "refunded_total", "followups", "claims"}
    # and one shipped email names carrier and tracking number
    [email] = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "order_shipped")).all()
    assert "UPS" in email.body_text and "1Z999AA1" in email.body_text and email.order_id == order.id
    # when shipped again, it is a conflict and no second email is queued
    assert _ship(client, order.id, headers).status_code == 409
    assert db.session.scalar(select(func.count(EmailMessage.id))) == 1


@pytest.mark.parametrize("body, field", [
    ({"tracking_number": "X"}, "carrier"),
    ({"carrier": "UPS"}, "tracking_number"),
    ({"carrier": "  ", "tracking_number": "X"}, "carrier"),
    ({"carrier": "UPS", "tracking_number": "X" * 101}, "tracking_number"),
])
def test_ship_bad_input_is_422_and_changes_nothing(client, mag_rr, make_order, staff_headers, body, field):
    order, _ = make_order(mag_rr, status=PAID)
    response = _ship(client, order.id, staff_headers("fulfilment"), body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert db.session.get(Order, order.id).status == PAID


@pytest.mark.parametrize("body, field", [
    ({"carrier": "UPS\r\nBcc: everyone@example.com", "tracking_number": "1Z999"}, "carrier"),
    ({"carrier": "UPS", "tracking_number": "1Z\n999"}, "tracking_number"),
    ({"carrier": "UPS", "tracking_number": "1Z999\r"}, "tracking_number"),
    ({"carrier": "U\u0000PS", "tracking_number": "1Z999"}, "carrier"),
])
def test_a_line_break_or_nul_in_carrier_or_tracking_is_422_and_nothing_ships(
        client, mag_rr, make_order, staff_headers, body, field):
    # given a paid order
    order, _ = make_order(mag_rr, status=PAID)
    # when fulfilment ships it with a control character in the carrier or tracking number
    response = _ship(client, order.id, staff_headers("fulfilment"), body)
    # then the answer is 422 in the error shape, the order stays paid and no email is queued
    assert response.status_code == 422
    assert set(response.json) >= {"code", "status", "message", "errors"}
    assert field in response.json["errors"]
    assert db.session.get(Order, order.id).status == PAID
    assert db.session.scalar(select(func.count(EmailMessage.id))) == 0


def test_unknown_order_is_404(client, staff_headers):
    assert _ship(client, 987654, staff_headers("admin")).status_code == 404
    assert _deliver(client, 987654, staff_headers("admin")).status_code == 404


def test_deliver_defaults_to_now_and_schedules_the_plan(client, mag_rr, make_order, staff_headers):
    # given a shipped order of a product with a titration plan
    order, _ = make_order(mag_rr, status=SHIPPED)
    before = utcnow()
    # when it is delivered without a time
    response = _deliver(client, order.id, staff_headers("fulfilment"))
    # then it is delivered now and answers the follow-up schedule, one row per step + reorder
    assert response.status_code == 200
    body = response.json
    assert body["status"] == DELIVERED
    assert datetime.fromisoformat(body["delivered_at"]) >= before - timedelta(seconds=1)
    assert [(f["day"], f["capsules"]) for f in body["followups"]] == [
        (0, 1), (7, 2), (14, 3), (29, 3), (30, 3), (60, 3)]
    assert {f["status"] for f in body["followups"]} == {"scheduled"}
    assert all(f["due_at"].endswith("+00:00") for f in body["followups"])


def test_a_paid_order_may_be_delivered_directly(client, mag_rr, make_order, staff_headers):
    order, _ = make_order(mag_rr, status=PAID)
    assert _deliver(client, order.id, staff_headers("admin")).json["status"] == DELIVERED


def test_a_delivery_may_be_back_filled_to_a_time_before_the_recorded_payment(client, mag_rr, make_order, staff_headers):
    # given an order paid and shipped just now
    order, _ = make_order(mag_rr, status=SHIPPED)
    # when staff record a delivery months ago (an order imported from an older system)
    when = datetime(2024, 3, 1, 15, 30, tzinfo=UTC)
    response = _deliver(client, order.id, staff_headers("fulfilment"), {"delivered_at": when.isoformat()})
    # then that time is kept and the plan starts from it
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json["delivered_at"]) == when
    first = db.session.scalar(select(FollowUp).order_by(FollowUp.due_at))
    assert as_utc(first.due_at) == datetime(2024, 3, 2, 0, 0, tzinfo=UTC)  # 19:00 EST on 1 March


@pytest.mark.parametrize("value", [
    (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "not-a-date", "2024-13-45T00:00:00Z"])
def test_deliver_future_or_malformed_time_is_422_and_changes_nothing(client, mag_rr, make_order,
                                                                     staff_headers, value):
    order, _ = make_order(mag_rr, status=SHIPPED)
    response = _deliver(client, order.id, staff_headers("fulfilment"), {"delivered_at": value})
    assert response.status_code == 422
    assert "delivered_at" in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == SHIPPED
    assert db.session.scalar(select(func.count(FollowUp.id))) == 0


def test_deliver_a_pending_order_is_409(client, mag_rr, make_order, staff_headers):
    order, _ = make_order(mag_rr, status=PENDING_PAYMENT)
    assert _deliver(client, order.id, staff_headers("fulfilment")).status_code == 409


def test_products_without_a_plan_get_no_followups(client, make_product, make_order, staff_headers):
    vitamin = make_product(plan=[])
    order, _ = make_order(vitamin, status=SHIPPED)
    assert _deliver(client, order.id, staff_headers("fulfilment")).json["followups"] == []
