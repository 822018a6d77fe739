"""Admin lists answer in a fixed number of queries, however many rows they show (no N+1)."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from shop.db import utcnow
from shop.extensions import db
from shop.guarantee.services import file_claim
from shop.orders.models import DELIVERED
from shop.reviews.services import submit_entry


@contextmanager
def counting(web):
    with web.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def add_rows(n, mag_rr, make_order, offset):
    for i in range(n):
        order, _ = make_order(mag_rr, email=f"c{offset + i}@example.com", status=DELIVERED,
                              delivered_at=utcnow() - timedelta(days=3))
        file_claim(order.id, "No better")
        submit_entry(mag_rr, kind="question", name="Q", email=f"q{offset + i}@example.com", body=f"Question {offset + i}?")
    db.session.commit()


@pytest.mark.parametrize("path", ["/admin/orders", "/admin/claims", "/admin/claims/audit", "/admin/reviews",
                                  "/admin/questions", "/admin/emails", "/admin", "/admin/products"])
def test_a_list_costs_the_same_for_two_rows_or_eight(web, staff_client, mag_rr, make_order, path):
    client, _ = staff_client("admin")
    add_rows(2, mag_rr, make_order, 0)
    with counting(web) as few:
        assert client.get(path).status_code == 200
    add_rows(6, mag_rr, make_order, 100)
    with counting(web) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few), f"{path}: {len(few)} → {len(many)} queries"
