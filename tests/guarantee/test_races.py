"""Two staff approving at once, two tabs filing at once: PostgreSQL row locks and the partial
unique index keep it to one refund and one live claim."""
import threading

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.guarantee.models import Claim
from shop.payments.models import Refund

pytestmark = pytest.mark.postgres


@pytest.fixture
def app(stripe_app):
    return stripe_app


def at_once(app, calls):
    """Run each call in its own thread (own app context and client), released together."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            results[index] = call(client)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.parametrize("slow_stripe", [False, True])
def test_two_concurrent_approvals_refund_once(app, claim_at_stripe, staff_member, stripe_standin, settled,
                                              slow_stripe):
    # given an open claim and two support staff
    order, claim_id = claim_at_stripe()
    headers = [staff_member("support")[1], staff_member("admin")[1]]
    if slow_stripe:  # the second click lands while the first waits for Stripe
        stripe_standin.delay_next(2, 0.5, path="/v1/refunds")
    # when both approve at the same moment
    responses = at_once(app, [
        lambda c, h=h: c.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=h) for h in headers
    ])
    settled()
    # then both answer 200 with the same claim, and Stripe made exactly one refund
    assert [r.status_code for r in responses] == [200, 200]
    assert {r.get_json()["id"] for r in responses} == {claim_id}
    assert len(stripe_standin.events("refund.created")) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id)) == 1
    claim = db.session.get(Claim, claim_id)
    assert claim.status == "refunded" and claim.attempts == 1
    assert [a.action for a in claim.audits].count("approved") == 1


def test_two_tabs_filing_at_once_make_one_claim(app, delivered_order):
    order, token = delivered_order()
    responses = at_once(app, [
        lambda c: c.post(f"/api/v1/orders/{order.id}/claims", json={"reason": "Tab one"},
                         headers={"X-Order-Token": token}),
        lambda c: c.post(f"/api/v1/orders/{order.id}/claims", json={"reason": "Tab two"},
                         headers={"X-Order-Token": token}),
    ])
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert db.session.scalar(select(func.count(Claim.id))) == 1


def test_approve_and_deny_at_once_decide_once(app, claim_at_stripe, staff_member, stripe_standin, settled):
    order, claim_id = claim_at_stripe()
    _, one = staff_member("support")
    _, two = staff_member("support")
    responses = at_once(app, [
        lambda c: c.post(f"/api/v1/admin/claims/{claim_id}/approve", json={}, headers=one),
        lambda c: c.post(f"/api/v1/admin/claims/{claim_id}/deny", json={"note": "No."}, headers=two),
    ])
    settled()
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409]
    db.session.expire_all()
    claim = db.session.get(Claim, claim_id)
    refunds = len(stripe_standin.events("refund.created"))
    assert (claim.status, refunds) in {("refunded", 1), ("denied", 0)}


def post_event(app, standin, event):
    import json

    payload = json.dumps(event).encode()
    return app.test_client().post("/api/v1/stripe/webhook", data=payload, headers={
        "Stripe-Signature": standin.sign(payload), "Content-Type": "application/json"})


def money_events(standin) -> list[dict]:
    return [e for e in standin.events() if e["type"].startswith("refund.") or e["type"] == "charge.refunded"]


@pytest.mark.parametrize("stripe_answers", ["at_once", "late"])
def test_concurrent_approvals_dashboard_refunds_and_refund_webhooks_never_deadlock(
        app, claim_at_stripe, staff_member, stripe_standin, settled, caplog, stripe_answers):
    # given four delivered orders paid at Stripe, each with an open claim, and two support staff
    claims = [claim_at_stripe() for _ in range(4)]
    headers = [staff_member("support")[1], staff_member("admin")[1]]
    if stripe_answers == "late":  # Stripe makes each refund (and sends its webhooks) before it answers
        stripe_standin.delay_next(4, 0.3, path="/v1/refunds", when="after")
    finished = threading.Event()
    webhook_answers: list[int] = []

    def storm():
        """Stripe's webhooks again and again, from another thread, while the approvals run."""
        with app.app_context():
            while not finished.is_set():
                for event in money_events(stripe_standin)[::-1]:
                    webhook_answers.append(post_event(app, stripe_standin, event).status_code)
                db.session.remove()

    def approve(claim_id, staff):
        return lambda c: c.post(f"/api/v1/admin/claims/{claim_id}/approve", json={"amount": 1000}, headers=staff)

    def dashboard_refund(order):
        def call(_client):
            stripe_standin.dashboard_refund(order.stripe_payment_intent_id, amount=500)
            return None
        return call

    # when staff approve every claim (twice over, two staff at once), staff refund two of the same
    # orders in Stripe's dashboard, and Stripe's refund webhooks arrive from several threads
    storms = [threading.Thread(target=storm) for _ in range(2)]
    for thread in storms:
        thread.start()
    calls = [approve(claim_id, staff) for _, claim_id in claims for staff in headers]
    calls += [dashboard_refund(order) for order, _ in claims[:2]]
    try:
        with caplog.at_level("WARNING"):
            answers = at_once(app, calls)
            settled()
            for event in money_events(stripe_standin):  # each once more, as Stripe's retries would
                webhook_answers.append(post_event(app, stripe_standin, event).status_code)
    finally:
        finished.set()
        for thread in storms:
            thread.join(30)
    # then nobody got a 503, nothing deadlocked, and every webhook was acknowledged
    assert [r.status_code for r in answers if r is not None] == [200] * 8
    assert "deadlock" not in caplog.text.lower()
    assert webhook_answers and set(webhook_answers) == {200}
    # and the money is right: each claim refunded 1000 once, the dashboard refunds counted too
    db.session.expire_all()
    for index, (order, claim_id) in enumerate(claims):
        claim = db.session.get(Claim, claim_id)
        assert (claim.status, claim.refunded_amount, claim.attempts) == ("refunded", 1000, 1)
        expected = 1000 + (500 if index < 2 else 0)
        stored = db.session.get(type(order), order.id)
        assert stored.refunded_total == expected
        assert stored.status == "partially_refunded"
        assert db.session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id,
                                                                      Refund.status == "succeeded")) == 1 + (index < 2)
