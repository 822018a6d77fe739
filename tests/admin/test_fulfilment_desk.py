"""The fulfilment desk: the queue of paid orders waiting to ship, packing slips, shipments marked
from a CSV (each shipped email once, over SMTP)."""
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.orders import states
from shop.orders.models import (CANCELLED, DELIVERED, PAID, PARTIALLY_REFUNDED, PENDING_PAYMENT, REFUNDED, SHIPPED,
                                Order)
from tests.admin.test_query_counts import counting
from tests.smtp_server import smtp_config, smtp_server  # noqa: F401  the fixture

ADDRESS = {"shipping_name": "Ada Lovelace", "shipping_line1": "12 Analytical Row", "shipping_line2": "Apt 3",
           "shipping_city": "Portland", "shipping_state": "OR", "shipping_postal_code": "97201",
           "shipping_country": "US", "shipping_phone": "+1 503 555 0100"}


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


@pytest.fixture
def paid(make_order, mag_rr):
    """A factory: an order paid `days_ago`, with an address, in `status`."""

    def make(days_ago=1, status=PAID, quantity=1, email="buyer@example.com", **address):
        order, _ = make_order(mag_rr, status=status, quantity=quantity, email=email)
        if order.paid_at is not None:
            order.paid_at = utcnow() - timedelta(days=days_ago)
        for name, value in {**ADDRESS, **address}.items():
            setattr(order, name, value)
        db.session.commit()
        return order

    return make


# --- the queue ---------------------------------------------------------------------------------

def test_the_queue_lists_paid_unshipped_orders_oldest_payment_first(staff_client, paid):
    # given orders in every state, two of them waiting to ship, paid 1 and 3 days ago
    recent = paid(days_ago=1, shipping_name="Recent Buyer")
    oldest = paid(days_ago=3, quantity=2, shipping_name="Oldest Buyer")
    partly = paid(days_ago=2, shipping_name="Partly Refunded")
    states.transition(partly, PARTIALLY_REFUNDED, actor="stripe")
    db.session.commit()
    for status in (PENDING_PAYMENT, SHIPPED, DELIVERED):
        paid(status=status, shipping_name=f"Not {status}")
    cancelled = paid(shipping_name="Not cancelled")
    states.transition(cancelled, CANCELLED, actor="staff:x")
    refunded = paid(shipping_name="Not refunded")
    states.transition(refunded, REFUNDED, actor="stripe")
    db.session.commit()
    client, _ = staff_client("fulfilment")
    # when fulfilment opens the desk
    page = client.get("/admin/fulfilment").get_data(as_text=True)
    # then the waiting orders are listed, the one paid longest ago first, with address and items
    assert "3 orders to ship" in page
    assert page.index("Oldest Buyer") < page.index("Partly Refunded") < page.index("Recent Buyer")
    assert "Not " not in page
    assert "12 Analytical Row" in page and "Portland, OR 97201" in page and "2 × Mag R&amp;R" in page
    assert f'/admin/orders/{oldest.id}/packing-slip' in page
    assert f'action="/admin/orders/{recent.id}/ship"' in page


def test_the_desk_is_for_fulfilment_and_admins(staff_client):
    assert staff_client("support")[0].get("/admin/fulfilment").status_code == 403
    assert staff_client("admin")[0].get("/admin/fulfilment").status_code == 200
    page = staff_client("fulfilment")[0].get("/admin").get_data(as_text=True)
    assert 'href="/admin/fulfilment"' in page


def test_shipping_from_the_queue_comes_back_to_the_queue(staff_client, paid):
    order = paid()
    client, _ = staff_client("fulfilment")
    response = client.post(f"/admin/orders/{order.id}/ship",
                           data={"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "back": "fulfilment"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/fulfilment")
    assert fresh(Order, order.id).status == SHIPPED
    assert "Nothing waits to ship." in client.get("/admin/fulfilment").get_data(as_text=True)


def test_the_queue_costs_the_same_for_two_orders_or_eight(web, staff_client, paid):
    client, _ = staff_client("fulfilment")
    for _ in range(2):
        paid()
    with counting(web) as few:
        assert client.get("/admin/fulfilment").status_code == 200
    for _ in range(6):
        paid(quantity=2)
    with counting(web) as many:
        assert client.get("/admin/fulfilment").status_code == 200
    assert len(many) == len(few)


# --- the packing slip -------------------------------------------------------------------------

def test_the_packing_slip_has_the_address_and_items_and_no_prices(staff_client, paid, app):
    order = paid(quantity=3)
    client, _ = staff_client("fulfilment")
    response = client.get(f"/admin/orders/{order.id}/packing-slip")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert str(escape(app.config["SHOP_NAME"])) in page and f"#{order.id}" in page and "Packing slip" in page
    assert "Ada Lovelace" in page and "Apt 3" in page and "+1 503 555 0100" in page
    assert '<td class="quantity">3</td><td>Mag R&amp;R</td>' in page
    assert "$" not in page and "49.00" not in page  # no prices
    assert "admin-nav" not in page  # no navigation to print
    css = client.get("/static/packing_slip.css").get_data(as_text=True)
    assert "@media print" in css
    assert staff_client("support")[0].get(f"/admin/orders/{order.id}/packing-slip").status_code == 403
    assert client.get("/admin/orders/987654/packing-slip").status_code == 404


def test_an_order_without_an_address_says_so(staff_client, make_order, mag_rr):
    order, _ = make_order(mag_rr, status=PAID)
    client, _ = staff_client("fulfilment")
    assert "No shipping address on record" in client.get(f"/admin/orders/{order.id}/packing-slip").get_data(
        as_text=True)


# --- shipments from a CSV ---------------------------------------------------------------------

def upload(client, text: str | bytes, name="shipments.csv"):
    import io

    data = text.encode() if isinstance(text, str) else text
    return client.post("/admin/fulfilment/shipments", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def shipped_emails() -> list[EmailMessage]:
    return list(db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "order_shipped")
                                   .order_by(EmailMessage.id)))


def test_a_csv_ships_each_valid_line_and_reports_every_line(staff_client, paid, make_order, mag_rr):
    # given two paid orders, one already shipped, one unpaid and one cancelled
    first, second = paid(email="one@example.com"), paid(email="two@example.com")
    third = paid(email="three@example.com")
    done = paid(status=SHIPPED)
    unpaid = paid(status=PENDING_PAYMENT)
    cancelled = paid()
    states.transition(cancelled, CANCELLED, actor="staff:x")
    db.session.commit()
    csv = (
        "Order,Carrier,Tracking_Number,notes\n"                       # line 1: the header, any case
        f"{first.id},UPS,1Z999AA10123456784,fragile\n"                # 2 shipped
        f"#{second.id},fedex,772899172304,\n"                         # 3 shipped (carrier spelled as FedEx)
        f"{done.id},UPS,1Z1\n"                                        # 4 skipped: shipped already
        f"{second.id},FedEx,772899172304\n"                           # 5 skipped: line 3 shipped it
        "987654,UPS,1Z2\n"                                            # 6 refused: unknown order
        f"{unpaid.id},UPS,1Z3\n"                                      # 7 refused: not paid
        f"{cancelled.id},UPS,1Z4\n"                                   # 8 refused: cancelled
        f'{first.id},UPS,"1Z\n5"\n'                                   # 9-10 refused: a line break in a cell
        f"{third.id},Pigeon Post,P1\n"                                # 11 refused: unknown carrier
        "\n"                                                          # 12 blank: ignored
        f"abc,UPS,1Z6\n"                                              # 13 refused: not an order number
    )
    client, staff = staff_client("fulfilment")
    # when fulfilment uploads it
    response = upload(client, csv)
    # then two orders are shipped, with the carrier as the store spells it, each emailed once
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "2 shipped · 2 skipped · 6 refused" in page
    assert (fresh(Order, first.id).status, fresh(Order, first.id).carrier) == (SHIPPED, "UPS")
    assert (fresh(Order, second.id).carrier, fresh(Order, second.id).tracking_number) == ("FedEx", "772899172304")
    assert fresh(Order, first.id).events[-1].actor == f"staff:{staff.email}"
    assert [e.to for e in shipped_emails()] == ["one@example.com", "two@example.com"]
    # and every line is in the report, by its line number, with why
    report = page[page.index('id="report"'):page.index('id="upload-title"')]
    for line, outcome, why in [(2, "shipped", ""), (3, "shipped", ""), (4, "skipped", "Already shipped"),
                               (5, "skipped", "line 3"), (6, "refused", "Unknown order"),
                               (7, "refused", "Not paid"), (8, "refused", "cancelled"),
                               (9, "refused", "Control characters"), (11, "refused", "Unknown carrier"),
                               (13, "refused", "Unknown order")]:
        row = report[report.index(f"<td>{line}</td>"):]
        row = row[:row.index("</tr>")]
        assert f">{outcome}<" in row and why in row, (line, row)
    assert fresh(Order, unpaid.id).status == PENDING_PAYMENT and fresh(Order, cancelled.id).status == CANCELLED
    assert fresh(Order, third.id).status == PAID
    # when the same file is uploaded again, nothing more ships and no second email goes out
    again = upload(client, csv).get_data(as_text=True)
    assert "0 shipped · 4 skipped · 6 refused" in again
    assert len(shipped_emails()) == 2


@pytest.mark.parametrize("content, message", [
    (b"order,carrier\n1,UPS\n", "missing: tracking_number"),
    (b"order,carrier,tracking_number\n", "no rows"),
    ("order,carrier,tracking_number\n1,UPS,caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    (b"", "missing"),
])
def test_a_file_that_is_not_a_shipments_csv_is_refused_whole(staff_client, paid, content, message):
    order = paid()
    client, _ = staff_client("fulfilment")
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fresh(Order, order.id).status == PAID


def test_an_upload_needs_a_file(staff_client):
    client, _ = staff_client("fulfilment")
    response = client.post("/admin/fulfilment/shipments", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Required field missing" in response.get_data(as_text=True)


def test_a_bom_and_windows_line_ends_are_fine(staff_client, paid):
    order = paid()
    client, _ = staff_client("fulfilment")
    response = upload(client, f"\ufefforder,carrier,tracking_number\r\n{order.id},USPS,9400111899223197428490\r\n"
                              .encode("utf-8"))
    assert "1 shipped · 0 skipped · 0 refused" in response.get_data(as_text=True)
    assert fresh(Order, order.id).carrier == "USPS"


def test_shipped_emails_from_a_csv_arrive_once_each_over_smtp(make_app, smtp_server, make_staff,  # noqa: F811
                                                               make_product, make_order, sign_in):
    # given a shop sending through a real SMTP server, and three paid orders
    web = make_app(**smtp_config(smtp_server))
    with web.app_context():
        product = make_product(slug="calm")
        orders = [make_order(product, status=PAID, email=f"buyer{n}@example.com")[0] for n in range(3)]
        staff, _ = make_staff("fulfilment")
    client = web.test_client()
    assert sign_in(client, staff).status_code == 303
    csv = "order,carrier,tracking_number\n" + "".join(f"{o.id},DHL,JD0{o.id:08d}\n" for o in orders)

    def run_worker():
        captured = web.config["TASKS_CAPTURE"]
        while captured:
            task, args = captured.pop(0)
            with web.app_context():
                task.run(*args)
                db.session.remove()

    # when fulfilment uploads the file twice (the second time by mistake)
    assert "3 shipped" in upload(client, csv).get_data(as_text=True)
    run_worker()
    assert "0 shipped · 3 skipped" in upload(client, csv).get_data(as_text=True)
    run_worker()
    # then each customer received one shipped email, with the carrier's tracking link
    received = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [m["To"] for m in received] == [f"buyer{n}@example.com" for n in range(3)]
    for mail, order in zip(received, orders):
        text = mail.get_body(("plain",)).get_content()
        assert f"JD0{order.id:08d}" in text and "https://www.dhl.com/" in text
    with web.app_context():
        assert db.session.scalar(select(func.count(EmailMessage.id))) == 3
