"""A completed Checkout Session pays its order only when Stripe charged what the order asked for."""
import pytest

from shop.orders.models import PAID, PENDING_PAYMENT
from tests.payments.conftest import emails, events_recorded
from tests.payments.stripe_events import checkout_session, deliver, event


@pytest.mark.parametrize("session_fields, charged_words", [
    ({"amount_subtotal": 100}, "$1.00"),  # a session edited to charge less
    ({"currency": "eur"}, "€78.00"),  # the same number in another currency
    ({"amount_subtotal": None}, "no amount"),
])
def test_a_session_charging_otherwise_leaves_the_order_unpaid_and_flagged(
        client, pending_order, reload, session_fields, charged_words):
    # given an order of 2 x $39.00 waiting for payment
    order, _ = pending_order(quantity=2, price=3900)
    # when Stripe reports its session completed and paid, for another amount or currency
    response = deliver(client, event("checkout.session.completed", checkout_session(order, **session_fields)))
    # then the event is acknowledged and recorded once, the order stays unpaid, no email goes
    # out, and staff are told both figures
    assert response.status_code == 200 and response.get_json()["outcome"] == "amount mismatch"
    assert events_recorded() == 1
    order = reload(order)
    assert order.status == PENDING_PAYMENT and order.paid_at is None
    assert emails() == []
    assert charged_words in order.needs_attention and "$78.00" in order.needs_attention
    assert [e.kind for e in order.events][-1] == "amount_mismatch"


def test_the_flag_shows_on_the_admin_order_list_and_page(client, pending_order, make_app, make_staff):
    # given an order Stripe charged $1.00 instead of $78.00
    order, _ = pending_order(quantity=2, price=3900)
    deliver(client, event("checkout.session.completed", checkout_session(order, amount_subtotal=100)))
    # when staff look at the orders
    staff, _ = make_staff("support")
    admin = make_app().test_client()
    assert admin.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"}).status_code == 303
    listing = admin.get("/admin/orders").get_data(as_text=True)
    page = admin.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    # then the list marks it and its page names both figures
    assert "needs attention" in listing
    assert "Needs attention" in page and "$1.00" in page and "$78.00" in page


def test_a_later_delayed_payment_for_another_amount_does_not_pay_either(client, pending_order, reload):
    order, _ = pending_order()
    deliver(client, event("checkout.session.completed", checkout_session(order, payment_status="unpaid")))
    response = deliver(client, event("checkout.session.async_payment_succeeded",
                                     checkout_session(order, amount_subtotal=order.total + 1)))
    assert response.get_json()["outcome"] == "amount mismatch"
    assert reload(order).status == PENDING_PAYMENT and emails() == []


def test_a_yen_order_charged_in_yen_is_paid(client, make_product, make_order, reload):
    # given an order of 2 x ¥500 (the yen has no minor unit: 1000 means ¥1,000)
    product = make_product(price=500, currency="jpy")
    order, _ = make_order(product, quantity=2, status=PENDING_PAYMENT)
    # when Stripe charged ¥1,000
    response = deliver(client, event("checkout.session.completed", checkout_session(order, amount_subtotal=1000)))
    # then the order is paid and the confirmation reads "1,000 JPY"
    assert response.get_json()["outcome"] == "paid" and reload(order).status == PAID
    assert "1,000 JPY" in emails()[0].body_html


def test_a_session_with_nothing_to_pay_settles_the_order(client, pending_order, reload):
    # given an order whose session needed no payment (a 100% promotion code at Stripe)
    order, _ = pending_order()
    session = checkout_session(order, payment_status="no_payment_required", amount_total=0,
                               total_details={"amount_discount": order.total, "amount_shipping": 0, "amount_tax": 0})
    # when it completes
    response = deliver(client, event("checkout.session.completed", session))
    # then the order does not wait for a payment that will never come
    assert response.get_json()["outcome"] == "paid" and reload(order).status == PAID
