"""POST /api/v1/admin/orders/<id>/refund: a refund outside any claim, through the Stripe stand-in
(over HTTP, with the official SDK), exactly once, settled by Stripe's answer or its webhook."""
import pytest
from sqlalchemy import func, select

from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.orders.models import DELIVERED, PAID, PARTIALLY_REFUNDED, PENDING_PAYMENT, REFUNDED, SHIPPED, Order, OrderEvent
from shop.payments.models import REFUND_FAILED, REFUND_PENDING, REFUND_SUCCEEDED, Refund


def refund(client, order_id, headers, key=None, **body):
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(f"/api/v1/admin/orders/{order_id}/refund", json=body, headers=headers)


def refunds_at_stripe(standin) -> list[dict]:
    return [e["data"]["object"] for e in standin.events("refund.created")]


def rows(order_id) -> list[Refund]:
    db.session.expire_all()
    return list(db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)))


def emails(kind) -> list[EmailMessage]:
    return list(db.session.scalars(select(EmailMessage).where(EmailMessage.kind == kind)))


@pytest.mark.parametrize("role, expected", [(None, 401), ("fulfilment", 403), ("support", 200), ("admin", 200)])
def test_who_may_refund(client, paid_order, staff_headers, stripe_standin, role, expected):
    order = paid_order()
    response = refund(client, order.id, staff_headers(role) if role else {}, reason="Goodwill")
    assert response.status_code == expected
    if expected != 200:
        assert set(response.get_json()) == {"code", "status", "message", "errors"}
        assert refunds_at_stripe(stripe_standin) == []


def test_a_refund_without_amount_refunds_everything_once_and_is_audited(
        client, paid_order, make_staff, stripe_standin, settled, fresh, run_tasks):
    # given a paid order of 4900 and a support member
    order = paid_order()
    staff, token = make_staff("support", email="sam@example.com")
    # when support refunds it with a reason and no amount
    response = refund(client, order.id, {"Authorization": f"Bearer {token}"}, reason="Arrived too late for the trip")
    settled()
    # then the answer is the Order, refunded in full by Stripe's answer
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["status"], body["refunded_total"]) == (order.id, REFUNDED, 4900)
    # and Stripe made one refund of 4900, with the key recorded on our row
    [made] = refunds_at_stripe(stripe_standin)
    assert made["amount"] == 4900 and made["payment_intent"] == order.stripe_payment_intent_id
    [row] = rows(order.id)
    assert (row.stripe_refund_id, row.status, row.counted) == (made["id"], REFUND_SUCCEEDED, True)
    assert made["metadata"]["refund_key"] == row.idempotency_key and row.idempotency_key.startswith(f"order-{order.id}-")
    assert (row.claim_id, row.requested_by_id, row.reason) == (None, staff.id, "Arrived too late for the trip")
    # and the order's timeline says who asked, how much, why and with which key
    requested = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                           OrderEvent.kind == "refund_requested"))
    assert requested.actor == "staff:sam@example.com" and requested.created_at is not None
    assert requested.data == {"staff_id": staff.id, "amount": 4900, "reason": "Arrived too late for the trip",
                              "refund_id": row.id, "idempotency_key": row.idempotency_key, "cancel": False}
    # and the webhook that followed changed nothing more; the customer is told once
    assert fresh(Order, order.id).refunded_total == 4900
    run_tasks()
    [email] = emails("refund_confirmed")
    assert email.to == order.email and "$49.00" in email.body_text


def test_partial_refunds_then_more_than_is_left_is_422(client, paid_order, staff_headers, stripe_standin, settled,
                                                      fresh):
    order = paid_order(quantity=2)  # 9800
    headers = staff_headers("support")
    first = refund(client, order.id, headers, amount=1500, reason="Shipping was slow")
    assert first.status_code == 200
    assert (first.get_json()["status"], first.get_json()["refunded_total"]) == (PARTIALLY_REFUNDED, 1500)
    too_much = refund(client, order.id, headers, amount=8301, reason="The rest and a cent")
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["errors"]
    assert "8300" in too_much.get_json()["errors"]["amount"][0]
    rest = refund(client, order.id, headers, reason="The rest")
    settled()
    assert (rest.status_code, rest.get_json()["status"], rest.get_json()["refunded_total"]) == (200, REFUNDED, 9800)
    assert [r["amount"] for r in refunds_at_stripe(stripe_standin)] == [1500, 8300]
    nothing_left = refund(client, order.id, headers, reason="Again")
    assert nothing_left.status_code == 422
    assert len(rows(order.id)) == 2 and fresh(Order, order.id).refunded_total == 9800


@pytest.mark.parametrize("body, field", [
    ({}, "reason"), ({"reason": "   "}, "reason"), ({"reason": "x" * 2001}, "reason"),
    ({"reason": "ok", "amount": 0}, "amount"), ({"reason": "ok", "amount": -5}, "amount"),
    ({"reason": "ok", "amount": 12.5}, "amount"), ({"reason": "ok", "amount": "100"}, "amount"),
    ({"reason": "ok", "amount": 4901}, "amount"),
])
def test_bad_input_is_422_and_changes_nothing(client, paid_order, staff_headers, stripe_standin, fresh, body, field):
    order = paid_order()
    response = client.post(f"/api/v1/admin/orders/{order.id}/refund", json=body, headers=staff_headers("support"))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert refunds_at_stripe(stripe_standin) == [] and rows(order.id) == []
    assert fresh(Order, order.id).status == PAID


def test_an_unpaid_order_is_409_and_an_unknown_one_404(client, make_product, make_order, staff_headers):
    order, _ = make_order(make_product(), status=PENDING_PAYMENT)
    headers = staff_headers("support")
    assert refund(client, order.id, headers, reason="Nope").status_code == 409
    assert refund(client, 987654, headers, reason="Nope").status_code == 404
    assert rows(order.id) == []


def test_the_same_idempotency_key_refunds_once(client, paid_order, staff_headers, stripe_standin, settled):
    order = paid_order(quantity=2)
    headers = staff_headers("support")
    first = refund(client, order.id, headers, key="desk-42", amount=1000, reason="Dented box")
    again = refund(client, order.id, headers, key="desk-42", amount=1000, reason="Dented box")
    settled()
    assert first.status_code == again.status_code == 200
    assert again.get_json()["refunded_total"] == 1000
    assert [r["amount"] for r in refunds_at_stripe(stripe_standin)] == [1000]
    # the same key for another amount is a conflict; a new key is a new refund
    assert refund(client, order.id, headers, key="desk-42", amount=2000, reason="More").status_code == 409
    assert refund(client, order.id, headers, key="desk-43", amount=2000, reason="More").status_code == 200
    assert [r.amount for r in rows(order.id)] == [1000, 2000]


@pytest.mark.parametrize("first", ["webhook", "answer"])
def test_stripes_answer_and_its_webhook_settle_the_refund_once_in_either_order(
        client, paid_order, staff_headers, stripe_standin, settled, fresh, run_tasks, first):
    # given a paid order
    order = paid_order()
    headers = staff_headers("support")
    if first == "webhook":  # Stripe makes the refund and sends its webhooks before it answers
        stripe_standin.delay_next(1, 0.5, path="/v1/refunds", when="after")
    else:  # Stripe answers; its webhooks come later
        stripe_standin.pause_webhooks()
    # when support refunds 2000
    response = refund(client, order.id, headers, amount=2000, reason="Late")
    if first == "answer":
        assert [r.status for r in rows(order.id)] == [REFUND_SUCCEEDED]
        stripe_standin.resume_webhooks()
    settled()
    # then one row, one refund at Stripe, counted once, the order partially refunded
    assert response.status_code == 200
    assert response.get_json()["status"] == PARTIALLY_REFUNDED
    [made] = refunds_at_stripe(stripe_standin)
    [row] = rows(order.id)
    assert (row.stripe_refund_id, row.status, row.amount) == (made["id"], REFUND_SUCCEEDED, 2000)
    order = fresh(Order, order.id)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 2000)
    run_tasks()
    assert len(emails("refund_confirmed")) == 1


def test_a_refund_stripe_has_not_settled_holds_its_amount_until_the_webhook(
        client, paid_order, staff_headers, stripe_standin, settled, fresh):
    order = paid_order()
    headers = staff_headers("support")
    stripe_standin.refunds_pending(True)
    response = refund(client, order.id, headers, amount=3000, reason="Half, pending")
    settled()
    assert (response.status_code, response.get_json()["status"], response.get_json()["refunded_total"]) == (
        200, PAID, 0)
    # meanwhile what is pending counts against what is left
    assert refund(client, order.id, headers, amount=2000, reason="Too much").status_code == 422
    [row] = rows(order.id)
    stripe_standin.settle_refund(row.stripe_refund_id)
    settled()
    order = fresh(Order, order.id)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 3000)


@pytest.mark.parametrize("decline", ["card_declined", "insufficient_funds"])
def test_a_refund_stripe_refuses_is_recorded_and_answered_as_an_error(
        client, paid_order, staff_headers, stripe_standin, settled, fresh, decline):
    order = paid_order()
    headers = staff_headers("support")
    stripe_standin.decline_next_refund(decline)
    response = refund(client, order.id, headers, reason="Goodwill")
    assert response.status_code == 402 and "Stripe refused" in response.get_json()["message"]
    [row] = rows(order.id)
    assert (row.status, row.counted) == (REFUND_FAILED, False) and row.failure_reason
    refused = db.session.scalar(select(OrderEvent).where(OrderEvent.kind == "refund_refused"))
    assert refused is not None and refused.data["idempotency_key"] == row.idempotency_key
    # a new request refunds with a new key
    again = refund(client, order.id, headers, reason="Goodwill")
    settled()
    assert again.status_code == 200 and again.get_json()["status"] == REFUNDED
    assert len(refunds_at_stripe(stripe_standin)) == 1
    assert len({r.idempotency_key for r in rows(order.id)}) == 2


def test_a_refund_stripe_never_answered_stays_pending_and_the_same_request_makes_it_once(
        client, paid_order, staff_headers, stripe_standin, settled, fresh):
    # given Stripe failing every attempt the SDK makes (500s past its retries)
    order = paid_order()
    headers = staff_headers("support")
    stripe_standin.fail_next(3, status=500, path="/v1/refunds")
    # when support refunds
    response = refund(client, order.id, headers, key="form-1", reason="Goodwill")
    # then the answer says it is not done (202), the refund stays pending (it may exist) and holds its amount
    assert response.status_code == 202 and response.get_json()["refunded_total"] == 0
    [row] = rows(order.id)
    assert (row.status, row.stripe_refund_id) == (REFUND_PENDING, None)
    assert "may have been made" in fresh(Order, order.id).needs_attention
    assert refund(client, order.id, headers, key="form-2", reason="Again").status_code == 422
    # when the same request is repeated
    again = refund(client, order.id, headers, key="form-1", reason="Goodwill")
    settled()
    # then the same refund is sent with the same key, and made once
    assert again.status_code == 200 and again.get_json()["status"] == REFUNDED
    [made] = refunds_at_stripe(stripe_standin)
    [row] = rows(order.id)
    assert made["metadata"]["refund_key"] == row.idempotency_key and row.status == REFUND_SUCCEEDED


@pytest.mark.parametrize("status", [SHIPPED, DELIVERED])
def test_shipped_and_delivered_orders_may_be_refunded_too(client, paid_order, staff_headers, settled, status):
    order = paid_order(status=status)
    response = refund(client, order.id, staff_headers("admin"), amount=900, reason="Goodwill")
    settled()
    assert (response.status_code, response.get_json()["status"]) == (200, PARTIALLY_REFUNDED)


def test_an_order_refunded_in_part_before_it_shipped_still_ships(client, paid_order, staff_headers, settled, fresh):
    # given a paid order partly refunded before shipping (the shipping fee back, say)
    order = paid_order()
    assert refund(client, order.id, staff_headers("support"), amount=500, reason="Free shipping").status_code == 200
    settled()
    # when fulfilment ships it
    shipped = client.post(f"/api/v1/admin/orders/{order.id}/ship", headers=staff_headers("fulfilment"),
                          json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    # then it ships, and the refund still shows
    assert shipped.status_code == 200, shipped.get_json()
    assert (shipped.get_json()["status"], shipped.get_json()["refunded_total"]) == (SHIPPED, 500)
    # and shipping it again is still a conflict
    again = client.post(f"/api/v1/admin/orders/{order.id}/ship", headers=staff_headers("fulfilment"),
                        json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert again.status_code == 409
    assert db.session.scalar(select(func.count(EmailMessage.id)).where(EmailMessage.kind == "order_shipped")) == 1
