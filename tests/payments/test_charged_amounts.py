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


ADDRESS = {"name": "Ada Lovelace", "address": {"line1": "1 Main St", "line2": None, "city": "Springfield",
                                               "state": "IL", "postal_code": "62701", "country": "US"}}


def _shipped_session(order, **fields):
    """A session that charged the items, $5.95 shipping, $7.80 off and $4.62 tax."""
    total = order.total - 780 + 595 + 462
    return checkout_session(order, amount_total=total,
                            total_details={"amount_discount": 780, "amount_shipping": 595, "amount_tax": 462},
                            collected_information={"shipping_details": ADDRESS},
                            customer_details={"email": order.email, "phone": "+1 217 555 0100"},
                            shipping_cost={"shipping_rate": "shr_chosen", "amount_subtotal": 595,
                                           "amount_tax": 0, "amount_total": 595},
                            discounts=[{"coupon": "co_1", "promotion_code": "promo_1"}], **fields)


def test_shipping_a_discount_and_tax_change_the_total_not_whether_it_pays(client, pending_order, reload):
    # given an order of 2 x $39.00 waiting for payment
    order, _ = pending_order(quantity=2, price=3900)
    # when Stripe charged its items less a discount, plus shipping and tax
    response = deliver(client, event("checkout.session.completed", _shipped_session(order)))
    # then it is paid, and it records Stripe's figures and address; its total is what was charged
    assert response.get_json()["outcome"] == "paid"
    order = reload(order)
    assert order.status == PAID and order.needs_attention is None
    assert order.amounts == {"subtotal": 7800, "shipping": 595, "discount": 780, "tax": 462, "total": 8077}
    assert order.total == 8077
    assert order.shipping_address == {"name": "Ada Lovelace", "line1": "1 Main St", "line2": None,
                                      "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}
    assert (order.shipping_phone, order.shipping_rate_id, order.stripe_promotion_code_id) == (
        "+1 217 555 0100", "shr_chosen", "promo_1")
    assert "$80.77" in emails()[0].body_text and "Springfield, IL 62701" in emails()[0].body_text


def test_figures_that_do_not_add_up_are_recorded_and_flagged(client, pending_order, reload):
    order, _ = pending_order(quantity=2, price=3900)
    session = _shipped_session(order)
    session["amount_total"] += 1
    response = deliver(client, event("checkout.session.completed", session))
    # Stripe took the money: the order is paid with Stripe's total, and a person is asked to look
    assert response.get_json()["outcome"] == "paid"
    order = reload(order)
    assert order.total == 8078 and "do not add up" in order.needs_attention


def test_a_session_that_does_not_say_what_it_charged_does_not_pay(client, pending_order, reload):
    order, _ = pending_order()
    response = deliver(client, event("checkout.session.completed", checkout_session(order, amount_total=None)))
    assert response.get_json()["outcome"] == "amount mismatch"
    assert reload(order).status == PENDING_PAYMENT and "does not say what it charged" in reload(order).needs_attention


def test_an_address_longer_than_its_column_is_kept_cut_not_refused(client, pending_order, reload):
    order, _ = pending_order()
    long_line = "Building " + "9" * 400
    session = checkout_session(order, collected_information={"shipping_details": {
        "name": "N" * 300, "address": {**ADDRESS["address"], "line1": long_line, "country": "USA"}}})
    assert deliver(client, event("checkout.session.completed", session)).get_json()["outcome"] == "paid"
    order = reload(order)
    assert order.shipping_line1 == long_line[:255] and len(order.shipping_name) == 255
    assert order.shipping_country == "US"


def test_a_replayed_completion_counts_a_code_once(client, pending_order, reload):
    from shop.extensions import db
    from shop.promotions.services import create_code, find_code

    # given a code the shop created at Stripe
    code = create_code({"code": "TEN", "percent_off": 10})
    code.stripe_promotion_code_id = "promo_1"
    db.session.commit()
    order, _ = pending_order(quantity=2, price=3900)
    # when Stripe delivers the completion twice, and the delayed-payment success after it
    session = _shipped_session(order)
    completed = event("checkout.session.completed", session)
    deliver(client, completed)
    deliver(client, completed)
    deliver(client, event("checkout.session.async_payment_succeeded", session))
    # then the code is counted once, and named on the order
    db.session.expire_all()
    assert find_code("TEN").times_redeemed == 1 and reload(order).promotion_code == "TEN"
