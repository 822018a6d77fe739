"""The staff side of the guarantee API: roles, the queue, and the context for a decision."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.guarantee.models import Claim


@pytest.mark.parametrize("method, path, body", [
    ("get", "/api/v1/admin/claims", None),
    ("get", "/api/v1/admin/claims/{id}", None),
    ("post", "/api/v1/admin/claims/{id}/approve", {}),
    ("post", "/api/v1/admin/claims/{id}/deny", {"note": "No"}),
])
def test_roles(open_claim, client, staff_member, method, path, body):
    _, claim_id = open_claim
    url = path.format(id=claim_id)
    call = getattr(client, method)
    # without a token: 401; with a bad one: 401; fulfilment: 403 — and the claim is unchanged
    assert call(url, json=body).status_code == 401
    assert call(url, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    _, fulfilment = staff_member("fulfilment")
    forbidden = call(url, json=body, headers=fulfilment)
    assert forbidden.status_code == 403 and forbidden.get_json()["code"] == 403
    assert db.session.get(Claim, claim_id).status == "open"


@pytest.mark.parametrize("role", ["support", "admin"])
def test_support_and_admin_read_the_queue_oldest_first(delivered_order, file_claim, client, staff_member, role):
    # given three claims filed one after another, one of them denied
    ids = []
    for _ in range(3):
        order, token = delivered_order()
        ids.append(file_claim(order, token).get_json()["id"])
    claims = [db.session.get(Claim, i) for i in ids]
    for age, claim in zip((1, 3, 2), claims, strict=True):
        claim.created_at = utcnow() - timedelta(hours=age)
    db.session.commit()
    staff, headers = staff_member(role)
    client.post(f"/api/v1/admin/claims/{ids[2]}/deny", json={"note": "No."}, headers=headers)
    # when staff list the open ones
    response = client.get("/api/v1/admin/claims?status=open", headers=headers)
    # then oldest first, only open ones, each a Claim
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [c["id"] for c in items] == [ids[1], ids[0]]
    assert set(items[0]) == {"id", "order_id", "status", "reason", "requested_amount", "refunded_amount",
                             "created_at"}
    assert len(client.get("/api/v1/admin/claims", headers=headers).get_json()["items"]) == 3


def test_an_unknown_status_filter_is_422(client, staff_member):
    _, headers = staff_member("support")
    response = client.get("/api/v1/admin/claims?status=lost", headers=headers)
    assert response.status_code == 422 and "status" in response.get_json()["errors"]


def test_unknown_claims_are_404(client, staff_member):
    _, headers = staff_member("support")
    assert client.post("/api/v1/admin/claims/999999/approve", json={}, headers=headers).status_code == 404
    assert client.post("/api/v1/admin/claims/999999/deny", json={"note": "x"}, headers=headers).status_code == 404
    assert client.get("/api/v1/admin/claims/999999", headers=headers).status_code == 404


@pytest.mark.parametrize("body", [{}, {"note": "   "}, {"note": "x" * 2001}])
def test_a_denial_needs_a_note(open_claim, client, staff_member, body):
    _, claim_id = open_claim
    _, headers = staff_member("support")
    response = client.post(f"/api/v1/admin/claims/{claim_id}/deny", json=body, headers=headers)
    assert response.status_code == 422 and "note" in response.get_json()["errors"]
    assert db.session.get(Claim, claim_id).status == "open"


def test_an_order_without_a_stripe_payment_cannot_be_refunded(open_claim, client, staff_member):
    order, claim_id = open_claim
    order.stripe_payment_intent_id = None
    db.session.commit()
    _, headers = staff_member("support")
    assert client.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=headers).status_code == 409
    assert db.session.get(Claim, claim_id).status == "open"


def test_the_context_shows_what_support_needs(delivered_order, file_claim, client, staff_member):
    from shop.followups.models import FollowUp
    from shop.followups.services import schedule_for_order

    # given a customer who claimed before, got two titration emails and stayed at a dose once
    earlier, token0 = delivered_order(email="sam@example.com", days_ago=50)
    earlier_claim = file_claim(earlier, token0, reason="First time").get_json()["id"]
    order, token = delivered_order(email="sam@example.com", days_ago=20)
    rows = schedule_for_order(order)
    rows[0].held_at = utcnow() - timedelta(days=3)
    db.session.add_all([EmailMessage(to=order.email, kind=kind, subject=f"Tonight: {kind}", body_text="",
                                     body_html="", order_id=order.id) for kind in ("followup_dose", "followup_checkin")])
    db.session.commit()
    claim_id = file_claim(order, token, reason="Still awake at 3am").get_json()["id"]
    _, headers = staff_member("support")
    # when support opens the claim
    response = client.get(f"/api/v1/admin/claims/{claim_id}", headers=headers)
    # then it shows the order, the deadline, the follow-ups, the hold, earlier claims, the audit
    assert response.status_code == 200
    context = response.get_json()
    assert context["claim"]["id"] == claim_id and context["claim"]["repeat_claimer"] is True
    assert context["order"]["id"] == order.id and context["order"]["delivered_at"]
    assert context["guarantee_days"] == 60 and context["deadline"]
    assert context["refundable"] == order.total
    assert [e["kind"] for e in context["followup_emails"]] == ["followup_dose", "followup_checkin"]
    assert context["stayed_at_dose"] is True and len(context["stay_at_dose_clicks"]) == 1
    assert [c["id"] for c in context["earlier_claims"]] == [earlier_claim]
    assert [a["action"] for a in context["audit"]] == ["filed"]
    assert db.session.scalar(select(FollowUp.id).where(FollowUp.order_id == order.id)) is not None


def test_the_context_offers_only_the_decisions_the_claim_allows(open_claim, client, staff_member):
    _, claim_id = open_claim
    _, headers = staff_member("support")
    assert client.get(f"/api/v1/admin/claims/{claim_id}", headers=headers).get_json()["decisions"] == {
        "approve": True, "deny": True, "retry": False}
    client.post(f"/api/v1/admin/claims/{claim_id}/deny", json={"note": "Outside our policy."}, headers=headers)
    assert client.get(f"/api/v1/admin/claims/{claim_id}", headers=headers).get_json()["decisions"] == {
        "approve": False, "deny": False, "retry": False}
