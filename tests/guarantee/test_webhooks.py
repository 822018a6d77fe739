"""Stripe's refund events settle claims however often and in whatever order they arrive; a
refund made in Stripe's dashboard is recorded against the order; follow-ups stop on refund."""
import json

import pytest
from sqlalchemy import func, select

from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.guarantee.models import APPROVED, FAILED, REFUNDED, Claim
from shop.orders.models import PARTIALLY_REFUNDED, REFUNDED as ORDER_REFUNDED, Order
from shop.payments.models import REFUND_SUCCEEDED, Refund


@pytest.fixture
def app(stripe_app):
    return stripe_app


def approve(client, claim_id, headers, **body):
    return client.post(f"/api/v1/admin/claims/{claim_id}/approve", json=body, headers=headers)


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def post_event(client, standin, event):
    payload = json.dumps(event).encode()
    response = client.post("/api/v1/stripe/webhook", data=payload, headers={
        "Stripe-Signature": standin.sign(payload), "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)


def refund_events(standin) -> list[dict]:
    return [e for e in standin.events() if e["type"].startswith("refund.") or e["type"] == "charge.refunded"]


ORDERS = {
    "as_sent": lambda events: events,
    "reversed": lambda events: events[::-1],
    "charge_refunded_first": lambda events: sorted(events, key=lambda e: e["type"] != "charge.refunded"),
    "updated_before_created": lambda events: sorted(events, key=lambda e: e["type"] != "refund.updated"),
}


def approve_with_webhooks_held(claim_at_stripe, client, staff_member, standin, outcome):
    """Approve while Stripe's webhooks are held back, settle the refund at Stripe, and return the
    refund events Stripe sent (none delivered yet)."""
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    standin.refunds_pending(True)
    standin.pause_webhooks()
    assert approve(client, claim_id, headers).status_code == 200
    stripe_id = db.session.get(Refund, fresh(Claim, claim_id).refund_id).stripe_refund_id
    if outcome == "succeeded":
        standin.settle_refund(stripe_id)
    else:
        standin.fail_refund(stripe_id)
    standin.resume_webhooks(drop_pending=True)
    return order, claim_id, refund_events(standin)


@pytest.mark.parametrize("arrangement", sorted(ORDERS))
def test_a_confirmed_refund_ends_the_same_whatever_the_order_and_however_often(
        claim_at_stripe, client, staff_member, stripe_standin, run_tasks, arrangement):
    # given a refund Stripe created pending, then confirmed, whose events were not delivered yet
    order, claim_id, events = approve_with_webhooks_held(claim_at_stripe, client, staff_member, stripe_standin,
                                                        "succeeded")
    assert {e["type"] for e in events} >= {"refund.created", "refund.updated"}
    assert fresh(Claim, claim_id).status == APPROVED
    # when they arrive in this order, and then all again, reversed
    sequence = ORDERS[arrangement](events)
    for event in sequence + sequence[::-1]:
        post_event(client, stripe_standin, event)
    # then the claim is refunded, the order refunded once, the customer told once
    claim = fresh(Claim, claim_id)
    assert claim.status == REFUNDED and claim.refunded_amount == order.total
    order = fresh(Order, order.id)
    assert order.status == ORDER_REFUNDED and order.refunded_total == order.total
    assert db.session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id)) == 1
    assert [a.action for a in claim.audits].count("refund_confirmed") == 1
    run_tasks()
    assert db.session.scalar(select(func.count(EmailMessage.id))
                             .where(EmailMessage.kind == "refund_confirmed")) == 1


@pytest.mark.parametrize("arrangement", ["as_sent", "reversed"])
def test_a_failed_refund_ends_the_same_whatever_the_order(claim_at_stripe, client, staff_member, stripe_standin,
                                                          run_tasks, arrangement):
    order, claim_id, events = approve_with_webhooks_held(claim_at_stripe, client, staff_member, stripe_standin,
                                                        "failed")
    sequence = ORDERS[arrangement](events)
    for event in sequence + sequence:
        post_event(client, stripe_standin, event)
    claim = fresh(Claim, claim_id)
    assert claim.status == FAILED and claim.failure_message and claim.refunded_amount == 0
    assert fresh(Order, order.id).refunded_total == 0
    run_tasks()
    assert db.session.scalar(select(func.count(EmailMessage.id))
                             .where(EmailMessage.kind == "refund_confirmed")) == 0


def test_stripe_confirming_before_the_approval_records_its_refund_id(
        claim_at_stripe, client, staff_member, stripe_standin, settled):
    # given Stripe answers the refund request late, after it sent (and we took) its webhooks
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    stripe_standin.delay_next(1, 1.0, path="/v1/refunds", when="after")
    # when support approves
    response = approve(client, claim_id, headers)
    settled()
    # then one refund row, with Stripe's id, confirmed; the claim refunded
    assert response.status_code == 200
    rows = db.session.scalars(select(Refund).where(Refund.order_id == order.id)).all()
    assert len(rows) == 1 and rows[0].stripe_refund_id and rows[0].status == REFUND_SUCCEEDED
    assert fresh(Claim, claim_id).status == REFUNDED
    assert fresh(Order, order.id).refunded_total == order.total


def test_a_dashboard_refund_is_recorded_against_the_order(
        delivered_order, paid_at_stripe, file_claim, client, staff_member, stripe_standin, settled, run_tasks):
    # given a paid, delivered order of two bottles with an open claim
    order, token = delivered_order(quantity=2)
    paid_at_stripe(order)
    claim_id = file_claim(order, token).get_json()["id"]
    # when staff refund 10.00 in Stripe's dashboard
    stripe_standin.dashboard_refund(order.stripe_payment_intent_id, amount=1000)
    settled()
    # then it is recorded against the order without a claim, and the customer is told
    [row] = db.session.scalars(select(Refund).where(Refund.order_id == order.id)).all()
    assert row.claim_id is None and row.status == REFUND_SUCCEEDED and row.amount == 1000
    order = fresh(Order, order.id)
    assert order.status == PARTIALLY_REFUNDED and order.refunded_total == 1000
    run_tasks()
    [email] = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "refund_confirmed")).all()
    assert "$10.00" in email.body_text
    # and the claim is untouched, and can refund only what is left
    claim = fresh(Claim, claim_id)
    assert claim.status == "open" and claim.refunded_amount == 0
    _, headers = staff_member("support")
    assert approve(client, claim_id, headers, amount=order.total - 999).status_code == 422
    assert approve(client, claim_id, headers).status_code == 200
    settled()
    claim = fresh(Claim, claim_id)
    assert claim.status == REFUNDED and claim.refunded_amount == order.total - 1000
    assert fresh(Order, order.id).status == ORDER_REFUNDED


def test_a_refund_cancels_the_scheduled_follow_ups(claim_at_stripe, client, staff_member, settled):
    from shop.followups.models import CANCELLED, SCHEDULED, FollowUp
    from shop.followups.services import schedule_for_order

    # given an order with its titration follow-ups scheduled and a claim
    order, claim_id = claim_at_stripe(days_ago=1)
    schedule_for_order(order)
    db.session.commit()
    scheduled = db.session.scalars(select(FollowUp).where(FollowUp.order_id == order.id,
                                                          FollowUp.status == SCHEDULED)).all()
    assert scheduled
    # when the claim is refunded
    _, headers = staff_member("support")
    approve(client, claim_id, headers)
    settled()
    # then what was still scheduled is cancelled
    db.session.expire_all()
    statuses = {row.status for row in db.session.scalars(select(FollowUp).where(FollowUp.order_id == order.id))}
    assert SCHEDULED not in statuses and CANCELLED in statuses


def test_a_refund_stripe_fails_after_confirming_it_fails_the_claim_and_the_order_follows_the_money(
        claim_at_stripe, client, staff_member, stripe_standin, settled):
    # given a claim approved and refunded in full, Stripe having confirmed the refund
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    assert approve(client, claim_id, headers).status_code == 200
    settled()
    assert fresh(Claim, claim_id).status == REFUNDED
    assert fresh(Order, order.id).status in (PARTIALLY_REFUNDED, ORDER_REFUNDED)
    # when Stripe reports that refund failed after all
    stripe_standin.fail_refund(db.session.get(Refund, fresh(Claim, claim_id).refund_id).stripe_refund_id)
    settled()
    # then the claim failed, nothing counts as refunded, and the order is delivered again
    claim = fresh(Claim, claim_id)
    assert (claim.status, claim.refunded_amount) == (FAILED, 0)
    order = fresh(Order, order.id)
    assert (order.status, order.refunded_total) == ("delivered", 0)
