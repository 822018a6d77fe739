"""Approving a claim refunds through Stripe (the stand-in, over HTTP) exactly once, and the
webhook confirms it: double clicks, retries, refusals, partial refunds, wrong amounts."""
import pytest
from sqlalchemy import func, select

from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.guarantee.models import APPROVED, FAILED, OPEN, REFUNDED, Claim, ClaimAudit
from shop.orders.models import PARTIALLY_REFUNDED, REFUNDED as ORDER_REFUNDED, Order
from shop.payments.models import REFUND_FAILED, Refund


@pytest.fixture
def app(stripe_app):
    """Every request of these tests goes to the app wired to the stand-in."""
    return stripe_app


def approve(client, claim_id, headers, **body):
    return client.post(f"/api/v1/admin/claims/{claim_id}/approve", json=body, headers=headers)


def refunds_at_stripe(standin) -> list[dict]:
    return [e["data"]["object"] for e in standin.events("refund.created")]


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_approval_refunds_everything_and_the_webhook_confirms_it(
        claim_at_stripe, client, staff_member, stripe_standin, settled, run_tasks):
    # given an open claim on a paid, delivered order
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    # when support approves it without an amount
    response = approve(client, claim_id, headers)
    settled()
    # then Stripe refunded all of it once, with a key derived from the claim
    assert response.status_code == 200
    assert response.get_json()["status"] in (APPROVED, REFUNDED)
    [refund] = refunds_at_stripe(stripe_standin)
    assert refund["amount"] == order.total and refund["metadata"]["claim_id"] == str(claim_id)
    # and the webhook moved the claim to refunded and the order to refunded
    claim = fresh(Claim, claim_id)
    assert claim.status == REFUNDED and claim.refunded_amount == order.total
    order = fresh(Order, order.id)
    assert order.status == ORDER_REFUNDED and order.refunded_total == order.total
    row = db.session.get(Refund, claim.refund_id)
    assert row.stripe_refund_id == refund["id"] and row.idempotency_key.startswith(f"claim-{claim_id}-refund-1")
    # and the customer is told once, with the amount and the card
    run_tasks()
    [email] = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "refund_confirmed")).all()
    assert "$49.00" in email.body_text and "5–10 business days" in email.body_text
    if order.card_last4:
        assert order.card_last4 in email.body_text
    # and the audit log has the decision, the request and Stripe's confirmation
    actions = [a.action for a in claim.audits]
    assert actions[:2] == ["filed", "approved"] and "refund_sent" in actions and "refund_confirmed" in actions
    approved = next(a for a in claim.audits if a.action == "approved")
    assert approved.actor.startswith("staff:support") and approved.amount == order.total and approved.idempotency_key
    confirmed = next(a for a in claim.audits if a.action == "refund_confirmed")
    assert confirmed.stripe_refund_id == refund["id"]


def test_approving_twice_refunds_once(claim_at_stripe, client, staff_member, stripe_standin, settled):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    first = approve(client, claim_id, headers)
    second = approve(client, claim_id, headers)
    settled()
    third = approve(client, claim_id, headers)
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert third.get_json()["id"] == claim_id
    assert len(refunds_at_stripe(stripe_standin)) == 1
    assert db.session.scalar(select(func.count(Refund.id)).where(Refund.claim_id == claim_id)) == 1


def test_partial_then_the_rest(delivered_order, paid_at_stripe, file_claim, client, staff_member, stripe_standin,
                               settled):
    # given an order of two bottles with a claim
    order, token = delivered_order(quantity=2)
    paid_at_stripe(order)
    claim_id = file_claim(order, token).get_json()["id"]
    _, headers = staff_member("admin")
    # when support refunds one bottle
    assert approve(client, claim_id, headers, amount=4900).status_code == 200
    settled()
    # then the order is partially refunded and what is left is 4900
    assert fresh(Order, order.id).status == PARTIALLY_REFUNDED
    assert fresh(Claim, claim_id).refunded_amount == 4900
    # and more than the rest is refused, nothing changes
    claim2 = file_claim(order, token, reason="The second bottle did nothing either.").get_json()["id"]
    too_much = approve(client, claim2, headers, amount=4901)
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["errors"]
    assert fresh(Claim, claim2).status == OPEN
    # and the rest is refunded by default
    assert approve(client, claim2, headers).status_code == 200
    settled()
    assert fresh(Order, order.id).status == ORDER_REFUNDED
    assert [r["amount"] for r in refunds_at_stripe(stripe_standin)] == [4900, 4900]


@pytest.mark.parametrize("amount", [0, -100, 4901, 12.5])
def test_amount_bounds(claim_at_stripe, client, staff_member, stripe_standin, amount):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    response = approve(client, claim_id, headers, amount=amount)
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert fresh(Claim, claim_id).status == OPEN
    assert refunds_at_stripe(stripe_standin) == []
    assert db.session.scalar(select(func.count(Refund.id))) == 0


@pytest.mark.parametrize("fault", ["card_declined", "insufficient_funds", "server_error"])
def test_stripe_refusing_fails_the_claim_and_a_retry_refunds(
        claim_at_stripe, client, staff_member, stripe_standin, settled, fault):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    # given Stripe refuses the next refund (a decline, or 500s past the SDK's retries)
    if fault == "server_error":
        stripe_standin.fail_next(3, status=500, path="/v1/refunds")
    else:
        stripe_standin.decline_next_refund(fault)
    # when support approves
    response = approve(client, claim_id, headers)
    # then the claim is failed with Stripe's message for staff; nothing refunded or counted
    assert response.status_code == 200 and response.get_json()["status"] == FAILED
    claim = fresh(Claim, claim_id)
    assert claim.failure_message
    first = db.session.get(Refund, claim.refund_id)
    assert first.status == REFUND_FAILED and not first.counted
    assert fresh(Order, order.id).refunded_total == 0
    assert any(a.action == "refund_refused" and a.note for a in claim.audits)
    # when support approves again
    retry = approve(client, claim_id, headers)
    settled()
    # then it refunds once: after a decline a new attempt with a new key; after a 500 (Stripe
    # may have made it) the same attempt again, under the same idempotency key
    assert retry.status_code == 200
    claim = fresh(Claim, claim_id)
    second = db.session.get(Refund, claim.refund_id)
    if fault == "server_error":
        assert second.id == first.id and second.idempotency_key == first.idempotency_key
    else:
        assert second.id != first.id and second.idempotency_key != first.idempotency_key
    assert claim.status == REFUNDED and claim.failure_message is None
    assert len(refunds_at_stripe(stripe_standin)) == 1
    assert fresh(Order, order.id).refunded_total == order.total
    assert [a.action for a in claim.audits].count("retried") == 1


def test_a_refund_that_fails_later_at_stripe_fails_the_claim(
        claim_at_stripe, client, staff_member, stripe_standin, settled, run_tasks):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    stripe_standin.refunds_pending(True)
    approve(client, claim_id, headers)
    settled()
    assert fresh(Claim, claim_id).status == APPROVED
    stripe_id = db.session.get(Refund, fresh(Claim, claim_id).refund_id).stripe_refund_id
    stripe_standin.fail_refund(stripe_id)
    settled()
    claim = fresh(Claim, claim_id)
    assert claim.status == FAILED and claim.failure_message
    assert fresh(Order, order.id).refunded_total == 0
    run_tasks()
    assert db.session.scalar(select(func.count(EmailMessage.id)).where(EmailMessage.kind == "refund_confirmed")) == 0


def test_deny_emails_the_note_once(open_claim, client, staff_member, run_tasks):
    order, claim_id = open_claim
    staff, headers = staff_member("support")
    note = "Your order shows two nights of use; please try the full plan."
    first = client.post(f"/api/v1/admin/claims/{claim_id}/deny", json={"note": note}, headers=headers)
    again = client.post(f"/api/v1/admin/claims/{claim_id}/deny", json={"note": note}, headers=headers)
    assert first.status_code == again.status_code == 200 and first.get_json()["status"] == "denied"
    run_tasks()
    [email] = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "claim_denied")).all()
    assert note in email.body_text and email.to == order.email
    entry = db.session.scalar(select(ClaimAudit).where(ClaimAudit.action == "denied"))
    assert entry.staff_id == staff.id and entry.note == note
    # a denied claim cannot be approved
    assert approve(client, claim_id, headers).status_code == 409


def test_approve_without_a_body_refunds_everything(claim_at_stripe, client, staff_member, stripe_standin, settled):
    order, claim_id = claim_at_stripe()
    _, headers = staff_member("support")
    response = client.post(f"/api/v1/admin/claims/{claim_id}/approve", headers=headers)
    settled()
    assert response.status_code == 200
    assert [r["amount"] for r in refunds_at_stripe(stripe_standin)] == [order.total]


def test_an_approval_that_never_reached_stripe_is_sent_again_with_the_same_key(
        claim_at_stripe, client, staff_member, stripe_standin, settled):
    from datetime import timedelta

    from shop.guarantee import refunds

    # given an approval recorded, whose process died before asking Stripe
    order, claim_id = claim_at_stripe()
    staff, headers = staff_member("support")
    approval = refunds.approve_claim(claim_id, staff)
    db.session.commit()
    key = db.session.get(Refund, approval.refund_id).idempotency_key
    # when support approves again at once, nothing is sent (the first approval may be in flight)
    assert approve(client, claim_id, headers).status_code == 200
    assert refunds_at_stripe(stripe_standin) == []
    # when they approve again minutes later
    db.session.get(Refund, approval.refund_id).created_at -= timedelta(minutes=3)
    db.session.commit()
    assert approve(client, claim_id, headers).status_code == 200
    settled()
    # then the same refund is sent, with the same key, once
    [refund] = refunds_at_stripe(stripe_standin)
    assert refund["metadata"]["refund_key"] == key
    claim = fresh(Claim, claim_id)
    assert claim.status == REFUNDED and claim.refund_id == approval.refund_id and claim.attempts == 1
