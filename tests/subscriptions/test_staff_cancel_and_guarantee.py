"""Staff cancel and refund a subscription from its admin page; the guarantee covers the first
order of a subscription, not its renewals."""
import re

from sqlalchemy import select

from shop.db import as_utc
from shop.extensions import db
from shop.orders.models import Order
from shop.subscriptions.models import Subscription
from tests.subscriptions.test_subscribe_and_save import (  # noqa: F401
    DAY, api, deliver, mag, order_json, settle, subscribe)


def renewed_subscription(api, stripe_standin, staff_headers):
    """Given a subscription bought, delivered and renewed once (the renewal delivered too)."""
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    headers = staff_headers("fulfilment")
    deliver(api, answer.json["order_id"], headers)
    settle(stripe_standin)
    sub = db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))
    stripe_standin.advance_clock(int(as_utc(sub.next_billing_at).timestamp()) - stripe_standin.clock.now() + 60)
    settle(stripe_standin)
    [renewal_id] = order_json(api, answer.json)["subscription"]["renewal_order_ids"]
    deliver(api, renewal_id, headers)
    settle(stripe_standin)
    return answer.json, sub.id, renewal_id


def staff_web(api, make_staff):
    client = api.application.test_client()
    staff, _ = make_staff("support")
    assert client.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"}).status_code == 303
    return client


def test_support_cancels_at_stripe_and_refunds_the_latest_renewal(api, mag, stripe_standin, stripe_client,
                                                                  staff_headers, make_staff):
    body, sub_id, renewal_id = renewed_subscription(api, stripe_standin, staff_headers)
    client = staff_web(api, make_staff)

    page = client.get(f"/admin/subscriptions/{sub_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"#{renewal_id}" in html and "Cancel and refund" in html
    key = re.search(r'name="request_key"[^>]*value="([^"]+)"', html).group(1)

    # a reason is required: nothing happens without one
    refused = client.post(f"/admin/subscriptions/{sub_id}/cancel-refund", data={"reason": "", "request_key": key})
    assert refused.status_code == 422
    assert db.session.get(Subscription, sub_id).status != "canceled"

    answer = client.post(f"/admin/subscriptions/{sub_id}/cancel-refund",
                         data={"reason": "Customer moved abroad", "request_key": key})
    assert answer.status_code == 303
    settle(stripe_standin)

    sub = db.session.get(Subscription, sub_id)
    assert stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id).status == "canceled"
    assert sub.status == "canceled" and sub.canceled_at is not None and sub.next_renewal_on is None
    assert stripe_standin.events("customer.subscription.deleted")
    renewal = db.session.get(Order, renewal_id)
    assert (renewal.status, renewal.refunded_total) == ("refunded", 4165)
    assert db.session.get(Order, body["order_id"]).refunded_total == 0  # the first order is not touched

    # the same form again refunds nothing more
    again = client.post(f"/admin/subscriptions/{sub_id}/cancel-refund",
                        data={"reason": "Customer moved abroad", "request_key": key})
    assert again.status_code == 303
    settle(stripe_standin)
    assert db.session.get(Order, renewal_id).refunded_total == 4165


def test_the_guarantee_covers_the_first_order_not_the_renewals(api, mag, stripe_standin, staff_headers):
    import pytest

    from shop.errors import Unprocessable
    from shop.guarantee.services import RENEWAL_NOT_COVERED, file_claim

    body, _, renewal_id = renewed_subscription(api, stripe_standin, staff_headers)

    # the first order: a claim is accepted as on any delivered order
    first = api.post(f"/api/v1/orders/{body['order_id']}/claims", headers={"X-Order-Token": body["order_token"]},
                     json={"reason": "It did not help me sleep"})
    assert first.status_code == 201, first.json
    assert first.json["requested_amount"] == 4165

    # a renewal: refused, saying why
    with api.application.app_context():
        with pytest.raises(Unprocessable) as refused:
            file_claim(renewal_id, "It did not help me sleep")
    assert refused.value.message == RENEWAL_NOT_COVERED


def test_fulfilment_staff_may_not_cancel_and_refund(api, mag, make_staff, make_order):
    from shop.orders.models import PAID

    order, _ = make_order(mag, status=PAID)
    sub = Subscription(order_id=order.id, product_id=mag.id, quantity=1, unit_price=4165, currency="usd",
                       status="active", interval_days=30, stripe_subscription_id="sub_x")
    db.session.add(sub)
    db.session.commit()
    client = api.application.test_client()
    staff, _ = make_staff("fulfilment")
    client.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"})

    assert client.post(f"/admin/subscriptions/{sub.id}/cancel-refund", data={"reason": "x"}).status_code == 403
    assert db.session.get(Subscription, sub.id).status == "active"
