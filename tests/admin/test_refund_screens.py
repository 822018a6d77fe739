"""The order page's Refund and Cancel order forms (support and admins), through the Stripe stand-in."""
import re

import pytest
from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db
from shop.orders.models import CANCELLED, PAID, PARTIALLY_REFUNDED, SHIPPED, Order, OrderEvent
from shop.payments.models import Refund
from tests.stripe_fixtures import STANDIN_API_KEY


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


@pytest.fixture
def stripe_web(make_app, stripe_standin):
    """The shop talking to the Stripe stand-in, whose webhooks come back to it."""
    web = make_app(STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY=STANDIN_API_KEY,
                   STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret)
    stripe_standin.deliver_to_app(web)
    yield web
    stripe_standin.stop_webhooks()


@pytest.fixture
def signed_in(stripe_web, make_staff, sign_in):
    def make(role):
        staff, _ = make_staff(role)
        client = stripe_web.test_client()
        assert sign_in(client, staff).status_code == 303
        return client, staff

    return make


def request_key(page: str, prefix: str) -> str:
    return re.search(rf'name="{prefix}-request_key" type="hidden" value="([^"]+)"', page).group(1)


def test_support_refunds_part_of_an_order_from_its_page(signed_in, mag_rr, make_order, paid_at_stripe,
                                                        stripe_standin):
    # Given a paid order of $98.00 and support on its page
    order, _ = make_order(mag_rr, quantity=2)
    paid_at_stripe(order)
    client, staff = signed_in("support")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert 'id="money-actions"' in page and "Cancel order" in page and "$98.00" in page
    key = request_key(page, "refund")
    # When they refund more than was paid, it is refused and nothing is refunded
    too_much = client.post(f"/admin/orders/{order.id}/refund",
                           data={"refund-amount": "98.01", "refund-reason": "Oops", "refund-request_key": key})
    assert too_much.status_code == 422 and "At most 9800" in too_much.get_data(as_text=True)
    # ... and without a reason, too
    assert client.post(f"/admin/orders/{order.id}/refund",
                       data={"refund-amount": "10.00", "refund-request_key": key}).status_code == 422
    # When they refund $12.50 with a reason, twice (a double submit of the same form)
    form = {"refund-amount": "12.50", "refund-reason": "Box arrived dented", "refund-request_key": key}
    first = client.post(f"/admin/orders/{order.id}/refund", data=form)
    second = client.post(f"/admin/orders/{order.id}/refund", data=form)
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    # Then Stripe refunded $12.50 once, and the order page shows it, with who and why
    assert first.status_code == second.status_code == 303
    assert [e["data"]["object"]["amount"] for e in stripe_standin.events("refund.created")] == [1250]
    order = fresh(Order, order.id)
    assert (order.status, order.refunded_total) == (PARTIALLY_REFUNDED, 1250)
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Box arrived dented" in page and f"staff:{staff.email}" in page and "$12.50" in page


def test_support_cancels_a_paid_order_and_the_form_is_gone_once_shipped(
        signed_in, make_product, make_order, paid_at_stripe, stripe_standin):
    product = make_product(slug="calm", stock=5)
    order, _ = make_order(product, quantity=1)
    paid_at_stripe(order)
    client, staff = signed_in("admin")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert client.post(f"/admin/orders/{order.id}/cancel", data={"cancel-reason": ""}).status_code == 422
    response = client.post(f"/admin/orders/{order.id}/cancel",
                           data={"cancel-reason": "Customer asked", "cancel-request_key": request_key(page, "cancel")})
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    assert response.status_code == 303
    order = fresh(Order, order.id)
    assert (order.status, order.refunded_total) == (CANCELLED, order.total)
    assert fresh(Product, product.id).stock == 5
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Cancel order" not in page and "Customer asked" in page
    # a shipped order offers no cancellation, and a post is a conflict
    shipped, _ = make_order(product, status=SHIPPED)
    paid_at_stripe(shipped)
    page = client.get(f"/admin/orders/{shipped.id}").get_data(as_text=True)
    assert "Cancel order" not in page and ">Refund<" in page
    assert client.post(f"/admin/orders/{shipped.id}/cancel", data={"cancel-reason": "Late"}).status_code == 409
    assert fresh(Order, shipped.id).status == SHIPPED


def test_fulfilment_sees_no_money_forms_and_may_not_post_them(signed_in, mag_rr, make_order, paid_at_stripe):
    order, _ = make_order(mag_rr)
    paid_at_stripe(order)
    client, _ = signed_in("fulfilment")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert 'id="money-actions"' not in page
    assert client.post(f"/admin/orders/{order.id}/refund", data={"refund-reason": "x"}).status_code == 403
    assert client.post(f"/admin/orders/{order.id}/cancel", data={"cancel-reason": "x"}).status_code == 403
    assert fresh(Order, order.id).status == PAID
    assert db.session.scalar(select(Refund.id)) is None


def test_a_refusal_by_stripe_is_shown_on_the_page(signed_in, mag_rr, make_order, paid_at_stripe, stripe_standin):
    order, _ = make_order(mag_rr)
    paid_at_stripe(order)
    client, _ = signed_in("support")
    stripe_standin.decline_next_refund("card_declined")
    response = client.post(f"/admin/orders/{order.id}/refund", data={"refund-reason": "Goodwill"})
    assert response.status_code == 402
    assert "Stripe refused the refund" in response.get_data(as_text=True)
    assert db.session.scalar(select(OrderEvent.kind).where(OrderEvent.kind == "refund_refused")) == "refund_refused"


def test_when_stripe_does_not_answer_the_same_form_is_shown_again_and_resends_once(
        signed_in, mag_rr, make_order, paid_at_stripe, stripe_standin):
    # Given a paid order, and Stripe failing every attempt of the next request
    order, _ = make_order(mag_rr)
    paid_at_stripe(order)
    client, _ = signed_in("support")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    form = {"refund-reason": "Goodwill", "refund-request_key": request_key(page, "refund")}
    stripe_standin.fail_next(3, status=500, path="/v1/refunds")
    # When support refunds everything
    response = client.post(f"/admin/orders/{order.id}/refund", data=form)
    # Then the page says Stripe did not answer and offers the same form (same request key) again
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Stripe did not answer" in page
    assert request_key(page, "refund") == form["refund-request_key"]
    # When they submit it again, the same refund is sent, and made once
    assert client.post(f"/admin/orders/{order.id}/refund", data=form).status_code == 303
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)
    assert len(stripe_standin.events("refund.created")) == 1
    assert fresh(Order, order.id).refunded_total == order.total
