"""The customer corrects the shipping address on the order page until the order ships."""
import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import PAID, PENDING_PAYMENT, SHIPPED, Order, OrderEvent

STRIPE_COLLECTED = {"shipping_name": "Ada Lovelace", "shipping_line1": "12 Analytical Row", "shipping_line2": None,
                    "shipping_city": "Portland", "shipping_state": "OR", "shipping_postal_code": "97201",
                    "shipping_country": "US"}
CORRECTED = {"name": "Ada King", "line1": "1 Difference Engine Ave", "line2": "Floor 2", "city": "Salem",
             "state": "OR", "postal_code": "97301-1234", "country": "US"}


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


@pytest.fixture
def opened(app, client, make_product, make_order):
    """A factory: an order in `status` with the address Stripe collected, opened by its signed link."""
    from shop.orders.access import order_page_url

    def make(status=PAID):
        order, _ = make_order(make_product(), status=status)
        for name, value in STRIPE_COLLECTED.items():
            setattr(order, name, value)
        db.session.commit()
        with app.test_request_context():
            link = order_page_url(order, external=False)
        assert client.get(link).status_code == 200
        return order

    return make


def post(client, order, **fields):
    return client.post(f"/orders/{order.id}/address", data={**CORRECTED, **fields})


def test_the_customer_corrects_the_address_before_shipping(client, opened):
    # given a paid order, its page open
    order = opened()
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "12 Analytical Row" in page and "Correct the address" in page
    # when the customer saves a corrected address
    response = post(client, order)
    # then it is the order's address, the timeline says what changed, and the page confirms it
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order.id}#address-correction")
    stored = fresh(order)
    assert stored.shipping_address == CORRECTED
    event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                       OrderEvent.kind == "address_corrected"))
    assert event.actor == "customer"
    assert event.data["from"]["line1"] == "12 Analytical Row" and event.data["to"] == CORRECTED
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Your shipping address is updated" in page and "1 Difference Engine Ave" in page


@pytest.mark.parametrize("fields, problem", [
    ({"name": "  "}, "name: Required field missing"),
    ({"line1": ""}, "line1: Required field missing"),
    ({"city": ""}, "city: Required field missing"),
    ({"postal_code": ""}, "postal code: Required field missing"),
    ({"country": "CA"}, "We ship to US only"),
    ({"country": ""}, "country: Required field missing"),
    ({"state": ""}, "state: Required field missing"),
    ({"postal_code": "ABC"}, "A ZIP code is 5 digits"),
    ({"line1": "1 Main St\r\nBcc: x@example.com"}, "control characters"),
    ({"city": "x" * 256}, "At most 255 characters"),
])
def test_a_malformed_address_is_refused_and_nothing_changes(client, opened, fields, problem):
    order = opened()
    response = post(client, order, **fields)
    assert response.status_code == 303
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Your address was not changed" in page and problem in page
    assert fresh(order).shipping_line1 == "12 Analytical Row"
    assert db.session.scalar(select(OrderEvent.id).where(OrderEvent.kind == "address_corrected")) is None


def test_countries_come_from_shipping_countries(make_app, make_product, make_order):
    from shop.orders.access import order_page_url

    app = make_app(SHIPPING_COUNTRIES=("US", "CA"))
    with app.app_context():
        order, _ = make_order(make_product(), status=PAID)
        client = app.test_client()
        with app.test_request_context():
            link = order_page_url(order, external=False)
        page = client.get(link).get_data(as_text=True)
        assert '<option value="CA"' in page
        client.post(f"/orders/{order.id}/address", data={**CORRECTED, "country": "ca", "state": "",
                                                         "postal_code": "K1A 0B1", "city": "Ottawa"})
        db.session.expire_all()
        assert (db.session.get(Order, order.id).shipping_country,
                db.session.get(Order, order.id).shipping_postal_code) == ("CA", "K1A 0B1")


def test_once_shipped_the_form_is_gone_and_a_correction_is_refused(client, opened, staff_headers):
    order = opened()
    shipped = client.post(f"/api/v1/admin/orders/{order.id}/ship", headers=staff_headers("fulfilment"),
                          json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 200
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "12 Analytical Row" in page and "Correct the address" not in page
    post(client, order)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "can no longer be changed" in page
    assert fresh(order).shipping_line1 == "12 Analytical Row" and fresh(order).status == SHIPPED


def test_an_unpaid_order_has_no_address_form(client, opened):
    order = opened(status=PENDING_PAYMENT)
    assert "Correct the address" not in client.get(f"/orders/{order.id}").get_data(as_text=True)
    post(client, order)
    assert fresh(order).shipping_line1 == "12 Analytical Row"


def test_only_a_browser_holding_the_order_may_correct_it(app, opened, make_product, make_order):
    order = opened()
    stranger = app.test_client()
    assert stranger.post(f"/orders/{order.id}/address", data=CORRECTED).status_code == 404
    assert stranger.post("/orders/99999999999/address", data=CORRECTED).status_code == 404
    assert fresh(order).shipping_line1 == "12 Analytical Row"
