"""Delivery schedules one follow-up per step (plus the reorder reminder), in UTC."""
from datetime import UTC, datetime

from sqlalchemy import select

from shop.db import as_utc
from shop.extensions import db
from shop.followups.models import CHECKIN, DOSE, REORDER, FollowUp
from shop.followups.services import order_followups, schedule_for_order
from tests.followups.conftest import evening


def _rows(order):
    return db.session.scalars(select(FollowUp).where(FollowUp.order_id == order.id).order_by(FollowUp.due_at)).all()


def test_one_followup_per_step_at_the_evening_hour(mag_rr, delivered):
    # given Mag R&R (1, 2, 3 capsules on days 0, 7, 14; check-ins on days 30 and 60)
    # when an order of one bottle is delivered
    order, _ = delivered(mag_rr)
    # then each step is due at 19:00 New York time on its day, stored in UTC
    rows = _rows(order)
    assert [(r.kind, r.step_day, r.capsules) for r in rows] == [
        (DOSE, 0, 1), (DOSE, 7, 2), (DOSE, 14, 3), (REORDER, 29, 3), (CHECKIN, 30, 3), (CHECKIN, 60, 3)]
    assert [as_utc(r.due_at) for r in rows] == [evening(d) for d in (0, 7, 14, 29, 30, 60)]
    # the bottle runs out on day 37; 7 days of shipping make day 30, taken by a check-in, so 29


def test_two_bottles_move_the_reorder_reminder(mag_rr, delivered):
    order, _ = delivered(mag_rr, quantity=2)
    [reminder] = [r for r in _rows(order) if r.kind == REORDER]
    assert reminder.step_day == 59  # runs out on day 67, minus 7 is 60 (a check-in), so 59


def test_the_reorder_buffer_is_a_setting(make_app, make_product, make_order):
    app = make_app(REORDER_BUFFER_DAYS=10)
    with app.app_context():
        product = make_product(plan=[(0, 3, "dose", "")])
        order, _ = make_order(product, status="shipped")
        order.delivered_at = datetime(2026, 5, 5, 14, 0, tzinfo=UTC)
        schedule_for_order(order)
        [reminder] = [r for r in _rows(order) if r.kind == REORDER]
        assert reminder.step_day == 20  # 90 capsules at 3 a night run out on day 30
        db.session.rollback()


def test_products_without_a_plan_get_none(make_product, delivered):
    order, _ = delivered(make_product(plan=[]))
    assert _rows(order) == []


def test_scheduling_twice_adds_nothing(mag_rr, delivered):
    order, _ = delivered(mag_rr)
    assert schedule_for_order(order) == []
    assert len(_rows(order)) == 6


def test_order_followups_shape_for_the_api(mag_rr, delivered):
    order, _ = delivered(mag_rr)
    first = order_followups(order)[0]
    assert first == {"day": 0, "capsules": 1, "due_at": "2026-05-05T23:00:00+00:00", "status": "scheduled"}


def test_the_order_page_panel_lists_the_schedule(app, mag_rr, delivered):
    from flask import render_template

    order, _ = delivered(mag_rr)
    with app.test_request_context():
        html = render_template("followups/_order_panel.html", order=order)
    assert "Your dosing plan" in html
    assert "Tue May 05, 2026" in html and "1 capsule a night" in html and "Reorder reminder" in html
    assert html.count("Scheduled") == 6
