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
