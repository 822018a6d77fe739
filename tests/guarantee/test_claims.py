"""Filing a claim: the window, the one-live-claim rule, validation, the emails and the audit."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.db import as_utc, utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.guarantee import services
from shop.guarantee.models import OPEN, Claim, ClaimAudit
from shop.orders.models import PAID, SHIPPED, OrderItem


def test_a_delivered_order_within_the_window_files_a_claim(delivered_order, file_claim):
    # given an order delivered ten days ago
    order, token = delivered_order(days_ago=10)
    # when the customer files a claim
    response = file_claim(order, token, reason="No difference after three weeks.")
    # then it is open, asks for everything paid, and reads as API.md says
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "order_id", "status", "reason", "requested_amount", "refunded_amount", "created_at"}
    assert body["status"] == OPEN and body["order_id"] == order.id
    assert body["requested_amount"] == order.total and body["refunded_amount"] == 0
    assert body["created_at"].endswith("+00:00")
    claim = db.session.get(Claim, body["id"])
    assert [a.action for a in claim.audits] == ["filed"]


def test_the_deadline_second_itself_is_inside_the_window(delivered_order, app):
    # given an order whose guarantee ends at an exact second
    order, _ = delivered_order(days_ago=59)
    deadline = services.guarantee_deadline(order)
    assert deadline == as_utc(order.delivered_at) + timedelta(days=60)
    # when the claim is filed at that very second, then it is accepted
    claim = services.file_claim(order.id, "Did not work", now=deadline)
    assert claim.status == OPEN


def test_one_second_after_the_deadline_is_refused(delivered_order, app):
    from shop.errors import Unprocessable

    order, _ = delivered_order(days_ago=59)
    deadline = services.guarantee_deadline(order)
    with pytest.raises(Unprocessable):
        services.file_claim(order.id, "Did not work", now=deadline + timedelta(seconds=1))


def test_the_api_refuses_a_claim_one_second_past_the_window(delivered_order, file_claim):
    # given an order delivered 60 days and one second ago (Mag R&R: 60-day guarantee)
    order, token = delivered_order(days_ago=60)
    order.delivered_at = utcnow() - timedelta(days=60, seconds=1)
    db.session.commit()
    # when the customer claims, then it is 422 in the error shape and nothing is stored
    response = file_claim(order, token)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity" and "order" in body["errors"]
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_the_api_accepts_a_claim_just_inside_the_window(delivered_order, file_claim):
    order, token = delivered_order()
    order.delivered_at = utcnow() - timedelta(days=60) + timedelta(seconds=30)
    db.session.commit()
    assert file_claim(order, token).status_code == 201


def test_the_strictest_guarantee_of_a_mixed_order_applies(delivered_order, make_product):
    # given an order mixing a 60-day product and a 30-day one
    order, _ = delivered_order(days_ago=31)
    short = make_product(guarantee_days=30)
    order.items.append(OrderItem(product_id=short.id, slug=short.slug, name=short.name, quantity=1,
                                 unit_price=short.price))
    db.session.commit()
    # then the deadline is 30 days after delivery, already past
    assert services.guarantee_deadline(order) == as_utc(order.delivered_at) + timedelta(days=30)
    assert services.claim_window(order)["open"] is False


@pytest.mark.parametrize("status", [PAID, SHIPPED])
def test_an_undelivered_order_cannot_be_claimed(make_order, mag_rr, file_claim, status):
    order, token = make_order(mag_rr, status=status)
    response = file_claim(order, token)
    assert response.status_code == 422
    assert response.get_json()["errors"]["order"]
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_a_second_claim_while_one_is_open_is_409(delivered_order, file_claim):
    order, token = delivered_order()
    assert file_claim(order, token).status_code == 201
    response = file_claim(order, token, reason="Again")
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    assert db.session.scalar(select(func.count(Claim.id))) == 1


def test_a_claim_can_be_filed_again_after_a_denial(delivered_order, file_claim, staff_member):
    order, token = delivered_order()
    claim_id = file_claim(order, token).get_json()["id"]
    staff, _ = staff_member("support")
    services.deny_claim(claim_id, staff, "Please try the full plan first.")
    db.session.commit()
    assert file_claim(order, token, reason="Tried the full plan, still nothing.").status_code == 201


@pytest.mark.parametrize("payload, field", [
    ({}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": None}, "reason"),
    ({"reason": "x" * 2001}, "reason"),
    ({"reason": 12}, "reason"),
    ({"reason": "ok", "doses_reached": -1}, "doses_reached"),
    ({"reason": "ok", "doses_reached": "three"}, "doses_reached"),
])
def test_bad_input_is_422_in_the_error_shape(delivered_order, client, payload, field):
    order, token = delivered_order()
    response = client.post(f"/api/v1/orders/{order.id}/claims", json=payload, headers={"X-Order-Token": token})
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"} and field in body["errors"]
    assert db.session.scalar(select(func.count(Claim.id))) == 0


def test_a_missing_reason_says_required_field_missing(delivered_order, client):
    order, token = delivered_order()
    response = client.post(f"/api/v1/orders/{order.id}/claims", json={}, headers={"X-Order-Token": token})
    assert response.get_json()["errors"]["reason"] == ["Required field missing"]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_wrong_or_missing_token_is_404(delivered_order, client, token):
    order, _ = delivered_order()
    headers = {"X-Order-Token": token} if token else {}
    response = client.post(f"/api/v1/orders/{order.id}/claims", json={"reason": "x"}, headers=headers)
    assert response.status_code == 404
    assert client.post("/api/v1/orders/999999/claims", json={"reason": "x"},
                       headers={"X-Order-Token": "t"}).status_code == 404


def test_a_malformed_body_is_a_4xx_not_a_500(delivered_order, client):
    order, token = delivered_order()
    response = client.post(f"/api/v1/orders/{order.id}/claims", data="{not json",
                           headers={"X-Order-Token": token, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500


def test_filing_emails_the_customer_once(open_claim, run_tasks):
    order, claim_id = open_claim
    run_tasks()
    received = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "claim_received")).all()
    assert len(received) == 1 and received[0].to == order.email
    assert "order #%d" % order.id in received[0].subject


def test_a_customer_claiming_again_on_another_order_is_flagged_not_refused(delivered_order, file_claim):
    first, token1 = delivered_order(email="Repeat@Example.com")
    second, token2 = delivered_order(email="repeat@example.com")
    assert file_claim(first, token1).status_code == 201
    response = file_claim(second, token2)
    assert response.status_code == 201
    claims = db.session.scalars(select(Claim).order_by(Claim.id)).all()
    assert [c.repeat_claimer for c in claims] == [False, True]


def test_repeat_claimers_are_not_flagged_when_the_policy_is_off(app, delivered_order, file_claim):
    app.config["GUARANTEE_ONE_PER_EMAIL"] = False
    first, token1 = delivered_order()
    second, token2 = delivered_order()
    file_claim(first, token1)
    file_claim(second, token2)
    assert not any(c.repeat_claimer for c in db.session.scalars(select(Claim)))


def test_the_audit_log_and_the_order_timeline_record_the_filing(open_claim):
    order, claim_id = open_claim
    entry = db.session.scalar(select(ClaimAudit).where(ClaimAudit.claim_id == claim_id))
    assert entry.actor == "customer" and entry.amount == order.total and entry.note
    assert any(e.kind == "claim" for e in order.events)


def test_shipping_is_kept_when_the_policy_says_so(app, delivered_order, file_claim, client, staff_member):
    # given an order of 49.00 plus 5.00 shipping, and a shop that does not refund shipping
    order, token = delivered_order()
    order.amount_shipping, order.total = 500, order.total + 500
    db.session.commit()
    assert services.refundable_amount(order) == 5400
    app.config["GUARANTEE_REFUND_SHIPPING"] = False
    # then the claim asks for the goods only, and approving more is refused
    body = file_claim(order, token).get_json()
    assert body["requested_amount"] == 4900
    _, headers = staff_member("support")
    response = client.post(f"/api/v1/admin/claims/{body['id']}/approve", json={"amount": 4901}, headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"]["amount"] == ["At most 4900 can be refunded"]


def test_partial_refunds_can_be_turned_off(app, open_claim, client, staff_member):
    app.config["GUARANTEE_PARTIAL_REFUNDS"] = False
    _, claim_id = open_claim
    _, headers = staff_member("support")
    response = client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={"amount": 100}, headers=headers)
    assert response.status_code == 422 and "amount" in response.get_json()["errors"]
    assert db.session.get(Claim, claim_id).status == OPEN
