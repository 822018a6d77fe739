"""Long admin lists page by keyset past their first numbered pages; totals stop counting at a cap;
the dashboard's 30 days are grouped by store day in SQL."""
import re
from datetime import UTC, datetime, timedelta

from shop.admin import metrics
from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.pagination import count_at_most


def numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'aria-label="Order #(\d+)"', page)]


def link(page: str, rel: str) -> str:
    return re.search(rf'rel="{rel}" href="([^"]+)"', page).group(1).replace("&amp;", "&")


def test_the_orders_list_pages_forward_and_back_by_the_rows_it_shows(staff_client, mag_rr, make_order):
    # Given 120 orders placed a minute apart
    start = utcnow() - timedelta(days=1)
    for i in range(120):
        order, _ = make_order(mag_rr, email=f"c{i}@example.com")
        order.created_at = start + timedelta(minutes=i)
    db.session.commit()
    ids = list(db.session.scalars(db.select(Order.id).order_by(Order.created_at.desc(), Order.id.desc())))
    client, _ = staff_client("support")
    # When staff open the list, then follow Next past the numbered pages' rows
    first = client.get("/admin/orders").get_data(as_text=True)
    assert numbers(first) == ids[:50] and "Page 1 of 3" in first and "120 orders" in first
    deep = client.get(f"/admin/orders?after={ids[49]}").get_data(as_text=True)
    # Then the rows after the last one shown come next, newest first, with a way on and back
    assert numbers(deep) == ids[50:100]
    assert link(deep, "next") == f"/admin/orders?after={ids[99]}"
    assert link(deep, "prev") == f"/admin/orders?before={ids[50]}"
    last = client.get(link(deep, "next")).get_data(as_text=True)
    assert numbers(last) == ids[100:] and 'rel="next"' not in last
    back = client.get(link(deep, "prev")).get_data(as_text=True)
    assert numbers(back) == ids[:50] and 'rel="prev"' not in back


def test_a_filter_stays_in_the_page_links(staff_client, mag_rr, make_order):
    for i in range(55):
        make_order(mag_rr, email=f"jane{i}@example.com")
    make_order(mag_rr, email="bob@example.com")
    client, _ = staff_client("support")
    page = client.get("/admin/orders?q=JANE&status=paid").get_data(as_text=True)
    assert len(numbers(page)) == 50 and "bob@example.com" not in page
    assert link(page, "next") == "/admin/orders?q=JANE&status=paid&page=2"
    # ... and a search matches the start of the address, not the middle
    assert "No orders match" in client.get("/admin/orders?q=ane").get_data(as_text=True)


def test_a_page_number_past_the_numbered_pages_shows_the_last_of_them(staff_client, mag_rr, make_order):
    make_order(mag_rr)
    client, _ = staff_client("support")
    response = client.get("/admin/orders?page=100000")
    assert response.status_code == 200 and "No orders match" in response.get_data(as_text=True)


def test_a_total_stops_counting_past_its_cap(app, mag_rr, make_order):
    for i in range(5):
        make_order(mag_rr, email=f"c{i}@example.com")
    assert count_at_most(db.select(Order), cap=3) == 4  # "3+"
    assert count_at_most(db.select(Order), cap=10) == 5


def test_the_claims_queue_pages(staff_client, mag_rr, make_order):
    from shop.guarantee.services import file_claim
    from shop.orders.models import DELIVERED

    for i in range(52):
        order, _ = make_order(mag_rr, email=f"c{i}@example.com", status=DELIVERED,
                              delivered_at=utcnow() - timedelta(days=3))
        file_claim(order.id, "No better")
    db.session.commit()
    client, _ = staff_client("support")
    first = client.get("/admin/claims").get_data(as_text=True)
    assert first.count('aria-label="Claim #') == 50 and "52 open claims" in first
    second = client.get(link(first, "next")).get_data(as_text=True)
    assert second.count('aria-label="Claim #') == 2


def test_the_dashboard_counts_each_store_day_across_a_clock_change(app, mag_rr, make_order):
    # Given a store in New York, where clocks went back an hour on 1 November 2026,
    # and orders paid late on 31 October, late on 1 November and just after midnight
    app.config["SHOP_TIMEZONE"] = "America/New_York"
    paid = [datetime(2026, 11, 1, 3, 30, tzinfo=UTC),  # 23:30 EDT on 31 October
            datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # 23:30 EST on 1 November
            datetime(2026, 11, 2, 5, 30, tzinfo=UTC)]  # 00:30 EST on 2 November
    for at in paid:
        order, _ = make_order(mag_rr)
        order.paid_at = at
    db.session.commit()
    # When the dashboard is read on 3 November
    days = {d.day.isoformat(): d.orders for d in metrics.dashboard(now=datetime(2026, 11, 3, 17, tzinfo=UTC)).days}
    # Then each order counts on the day the store's clock showed
    assert (days["2026-10-31"], days["2026-11-01"], days["2026-11-02"], days["2026-11-03"]) == (1, 1, 1, 0)
    assert len(days) == metrics.CHART_DAYS and sum(days.values()) == 3
