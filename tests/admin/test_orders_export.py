"""/admin/orders/export.csv: one row per order, amounts in the currency's units, store times,
filters checked, formulas defused, streamed."""
import csv
import io
from datetime import datetime

import pytest

from shop.extensions import db
from shop.orders import states
from shop.orders.models import DELIVERED, PAID, PENDING_PAYMENT, REFUNDED


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def books(make_product, make_order):
    """Three orders: paid in usd with Stripe's figures and an address, a yen one, one unpaid."""
    usd, _ = make_order(make_product(slug="mag", price=4900), quantity=2, email="ann@example.com")
    usd.amount_subtotal, usd.amount_shipping, usd.amount_discount, usd.amount_tax = 9800, 595, 980, 712
    usd.total, usd.refunded_total = 10127, 1000
    usd.created_at = usd.paid_at = datetime(2026, 3, 1, 3, 30)  # Feb 28, 22:30 in New York
    usd.shipping_name, usd.shipping_line1 = "=HYPERLINK(\"http://evil.example\",\"x\")", "-12 Minus Street"
    usd.shipping_line2, usd.shipping_city, usd.shipping_state = "@SUM(A1)", "+Plusville", "OR"
    usd.shipping_postal_code, usd.shipping_country, usd.shipping_phone = "97201", "US", "+1 503 555 0100"
    yen, _ = make_order(make_product(slug="yen", price=500, currency="jpy"), email="ken@example.com")
    yen.amount_subtotal, yen.amount_shipping, yen.amount_discount, yen.amount_tax = 500, 0, 0, 0
    yen.created_at = datetime(2026, 3, 2, 12, 0)
    unpaid, _ = make_order(make_product(slug="later"), status=PENDING_PAYMENT, email="lou@example.com")
    unpaid.created_at = datetime(2026, 3, 3, 12, 0)
    db.session.commit()
    return usd, yen, unpaid


@pytest.mark.parametrize("role, expected", [("support", 200), ("admin", 200), ("fulfilment", 403)])
def test_who_may_export(staff_client, role, expected):
    assert staff_client(role)[0].get("/admin/orders/export.csv").status_code == expected


def test_every_order_one_row_with_amounts_in_units_and_store_times(staff_client, books):
    usd, yen, unpaid = books
    client, _ = staff_client("support")
    response = client.get("/admin/orders/export.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="orders.csv"' == response.headers["Content-Disposition"]
    first, second, third = rows(response)
    assert [r["order_id"] for r in (first, second, third)] == [str(usd.id), str(yen.id), str(unpaid.id)]
    assert (first["created_at"], first["paid_at"]) == ("2026-02-28T22:30:00-05:00", "2026-02-28T22:30:00-05:00")
    assert (first["email"], first["status"], first["currency"]) == ("ann@example.com", PAID, "USD")
    assert [first[k] for k in ("subtotal", "shipping", "discount", "tax", "total", "refunded")] == [
        "98.00", "5.95", "9.80", "7.12", "101.27", "10.00"]
    assert [second[k] for k in ("currency", "subtotal", "total")] == ["JPY", "500", "500"]
    assert [third[k] for k in ("status", "subtotal", "shipping", "paid_at")] == [PENDING_PAYMENT, "", "", ""]
    assert (first["shipping_state"], first["shipping_postal_code"], first["shipping_country"]) == ("OR", "97201", "US")


def test_cells_a_spreadsheet_would_run_are_defused(staff_client, books):
    client, _ = staff_client("admin")
    first = rows(client.get("/admin/orders/export.csv"))[0]
    assert first["shipping_name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert first["shipping_line1"] == "'-12 Minus Street"
    assert first["shipping_line2"] == "'@SUM(A1)"
    assert first["shipping_city"] == "'+Plusville"
    assert first["shipping_phone"] == "'+1 503 555 0100"


def test_filters_by_status_and_by_the_store_days_orders_were_placed(staff_client, books):
    usd, yen, unpaid = books
    client, _ = staff_client("support")

    def ids(query):
        return [int(r["order_id"]) for r in rows(client.get(f"/admin/orders/export.csv?{query}"))]

    assert ids("status=pending_payment") == [unpaid.id]
    assert ids("from=2026-02-28&to=2026-02-28") == [usd.id]  # 03:30 UTC on Mar 1 is Feb 28 in New York
    assert ids("from=2026-03-01") == [yen.id, unpaid.id]
    assert ids("to=2026-03-02") == [usd.id, yen.id]
    assert ids("status=paid&from=2026-03-02&to=2026-03-03") == [yen.id]
    states.transition(db.session.get(type(usd), usd.id), REFUNDED, actor="stripe")
    db.session.commit()
    assert ids("status=refunded") == [usd.id]
    assert ids(f"status={DELIVERED}") == []
    response = client.get("/admin/orders/export.csv?status=paid&from=2026-03-01")
    assert response.headers["Content-Disposition"] == 'attachment; filename="orders-paid-2026-03-01.csv"'


@pytest.mark.parametrize("query", ["status=lost", "from=2026-13-01", "to=yesterday", "from=2026-03-02&to=2026-03-01",
                                   "from=2026-03-01T00:00"])
def test_a_bad_filter_is_422(staff_client, query):
    client, _ = staff_client("support")
    response = client.get(f"/admin/orders/export.csv?{query}")
    assert response.status_code == 422
    assert "Unusable export filter" in response.get_data(as_text=True)


def test_the_orders_page_offers_the_export_to_support_only(staff_client):
    assert 'action="/admin/orders/export.csv"' in staff_client("support")[0].get("/admin/orders").get_data(as_text=True)
    assert "export.csv" not in staff_client("fulfilment")[0].get("/admin/orders").get_data(as_text=True)
