"""Carrier tracking links: one service maps carrier + number to the carrier's public page; the
shipped email (text and HTML, over SMTP), the customer's order page and the admin page show it."""
import pytest

from shop.fulfilment.tracking import carrier_name, tracking_url
from shop.orders.models import PAID
from tests.smtp_server import smtp_config, smtp_server  # noqa: F401  the fixture


@pytest.mark.parametrize("carrier, number, url", [
    ("USPS", "9400111899223197428490", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490"),
    ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
    ("FedEx", "772899172304", "https://www.fedex.com/fedextrack/?trknbr=772899172304"),
    ("fed ex", "772899172304", "https://www.fedex.com/fedextrack/?trknbr=772899172304"),
    ("DHL", "1234567890", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1"
                          "&tracking-id=1234567890"),
    ("ups", " 1Z 999/AA?&x ", "https://www.ups.com/track?tracknum=1Z%20999%2FAA%3F%26x"),
])
def test_known_carriers_link_to_their_tracking_page(carrier, number, url):
    assert tracking_url(carrier, number) == url


@pytest.mark.parametrize("carrier, number", [("Bob's Couriers", "123"), ("", "123"), (None, "123"), ("UPS", ""),
                                             ("UPS", None), ("upsx", "1")])
def test_an_unknown_carrier_or_no_number_has_no_link(carrier, number):
    assert tracking_url(carrier, number) is None


def test_carrier_names_are_the_stores_spelling():
    assert [carrier_name(c) for c in ("usps", "Ups", "FEDEX", "dhl express", "Acme")] == [
        "USPS", "UPS", "FedEx", "DHL", None]


def _ship(client, order_id, headers, carrier, number):
    return client.post(f"/api/v1/admin/orders/{order_id}/ship", headers=headers,
                       json={"carrier": carrier, "tracking_number": number})


def test_the_shipped_email_links_to_the_carrier_in_text_and_html(make_app, smtp_server, make_product,  # noqa: F811
                                                                  make_order, make_staff):
    app = make_app(**smtp_config(smtp_server))
    with app.app_context():
        order, _ = make_order(make_product(), status=PAID)
        _, token = make_staff("fulfilment")
        response = _ship(app.test_client(), order.id, {"Authorization": f"Bearer {token}"}, "FedEx", "772899172304")
        assert response.status_code == 200
        captured = app.config["TASKS_CAPTURE"]
        while captured:
            task, args = captured.pop(0)
            task.run(*args)
    [mail] = smtp_server.messages
    link = "https://www.fedex.com/fedextrack/?trknbr=772899172304"
    assert link in mail.get_body(("plain",)).get_content()
    assert f'href="{link}"' in mail.get_body(("html",)).get_content()


def test_the_customer_and_admin_order_pages_link_to_the_carrier(app, client, make_product, make_order, staff_headers,
                                                                 make_staff):
    from shop.orders.access import order_page_url

    known, _ = make_order(make_product(), status=PAID)
    unknown, _ = make_order(make_product(), status=PAID)
    headers = staff_headers("fulfilment")
    assert _ship(client, known.id, headers, "USPS", "9400111899223197428490").status_code == 200
    assert _ship(client, unknown.id, headers, "Bob's Couriers", "B-1").status_code == 200
    link = "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490"
    with app.test_request_context():
        known_page, unknown_page = order_page_url(known, external=False), order_page_url(unknown, external=False)
    html = client.get(known_page).get_data(as_text=True)
    assert f'href="{link}"' in html and "Track your parcel with USPS" in html
    html = client.get(unknown_page).get_data(as_text=True)
    assert "B-1" in html and 'data-testid="tracking-link"' not in html
    # and the admin's order page, for any role
    staff, _ = make_staff("support")
    admin = app.test_client()
    admin.post("/admin/login", data={"email": staff.email, "password": "correct horse battery"})
    assert f'href="{link}"' in admin.get(f"/admin/orders/{known.id}").get_data(as_text=True)
    assert 'data-testid="tracking-link"' not in admin.get(f"/admin/orders/{unknown.id}").get_data(as_text=True)
