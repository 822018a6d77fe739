"""The signed links of follow-up emails: hold a week, "I started today", unsubscribe."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.db import as_utc, utcnow
from shop.emails.models import EmailSuppression
from shop.extensions import db
from shop.followups import links
from shop.followups.dispatch import dispatch_due_followups
from shop.followups.models import DOSE, FollowUp
from shop.followups.services import order_followups
from tests.followups.conftest import evening


def _row(order, day, kind=DOSE):
    return db.session.scalar(select(FollowUp).where(
        FollowUp.order_id == order.id, FollowUp.step_day == day, FollowUp.kind == kind))


def _path(row, action, **kwargs):
    return links.link(row.id, action, **kwargs).removeprefix("http://shop.test")


def _due(order):
    db.session.expire_all()
    return {f["day"]: f["due_at"] for f in order_followups(order)}


@pytest.fixture
def first_email_sent(mag_rr, delivered):
    """An order whose day-0 email went out: (order, day-0 follow-up)."""
    order, _ = delivered(mag_rr)
    dispatch_due_followups(now=evening(0))
    return order, _row(order, 0)


def test_get_shows_a_confirmation_and_changes_nothing(client, first_email_sent):
    # mail scanners follow links: a GET must not act
    order, row = first_email_sent
    before = _due(order)
    response = client.get(_path(row, links.HOLD))
    assert response.status_code == 200
    assert b"Stay at 1 capsule one more week?" in response.data and b"<form method=\"post\"" in response.data
    assert _due(order) == before


def test_hold_moves_every_later_step_a_week_once(client, first_email_sent):
    # given the day-0 email was sent
    order, row = first_email_sent
    before = _due(order)
    # when the customer clicks "stay at this dose one more week"
    response = client.post(_path(row, links.HOLD))
    # then every later step moved 7 days, the sent one did not
    assert response.status_code == 200 and b"one more week at 1 capsule" in response.data
    after = _due(order)
    assert after[0] == before[0]
    for day in (7, 14, 29, 30, 60):
        assert as_utc_iso(after[day]) - as_utc_iso(before[day]) == timedelta(days=7)
    # when the same link is used again, nothing more moves
    replay = client.post(_path(row, links.HOLD))
    assert replay.status_code == 200 and b"already staying at this dose" in replay.data
    assert _due(order) == after


def test_a_hold_from_the_next_email_adds_another_week(client, first_email_sent):
    order, row = first_email_sent
    client.post(_path(row, links.HOLD))
    dispatch_due_followups(now=evening(14))  # day 7 (now due on day 14) goes out
    day7 = _row(order, 7)
    assert day7.status == "sent"
    before = _due(order)
    client.post(_path(day7, links.HOLD))
    assert as_utc_iso(_due(order)[14]) - as_utc_iso(before[14]) == timedelta(days=7)


def test_started_today_reanchors_the_plan_once(client, first_email_sent):
    # given the bottle sat unopened: the customer starts two weeks after delivery
    order, row = first_email_sent
    # when they click "I started today"
    response = client.post(_path(row, links.STARTED))
    assert response.status_code == 200 and b"Your plan now starts today" in response.data
    # then day 7 is a week from today, at the evening hour
    today = utcnow()
    day7 = as_utc_iso(_due(order)[7])
    assert timedelta(days=6) < day7 - today < timedelta(days=8)
    # and the link used again changes nothing
    before = _due(order)
    replay = client.post(_path(row, links.STARTED))
    assert b"already moved" in replay.data and _due(order) == before


@pytest.mark.parametrize("action", [links.HOLD, links.STARTED, links.UNSUBSCRIBE])
def test_a_tampered_link_is_a_clear_400_page(client, first_email_sent, action):
    order, row = first_email_sent
    before = _due(order)
    path = _path(row, action)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for method in (client.get, client.post):
        response = method(tampered)
        assert response.status_code == 400
        assert b"That link did not work" in response.data and b"Nothing was changed" in response.data
    assert _due(order) == before


def test_a_link_for_another_follow_up_cannot_be_forged(client, first_email_sent):
    order, row = first_email_sent
    token = links.make_token(row.id, links.HOLD)
    other = _row(order, 7)
    payload = token.split(".")[0]
    forged = links.make_token(other.id, links.HOLD).split(".")[0] + "." + token.split(".")[1]
    assert payload != forged.split(".")[0]
    assert client.post(f"/followups/hold/{forged}").status_code == 400


def test_a_link_for_another_action_is_refused(client, first_email_sent):
    order, row = first_email_sent
    token = _path(row, links.HOLD).rpartition("/")[2]
    response = client.post(f"/followups/unsubscribe/{token}")
    assert response.status_code == 400
    assert _row(order, 7).status == "scheduled"


@pytest.mark.parametrize("action", [links.HOLD, links.STARTED, links.UNSUBSCRIBE])
def test_an_expired_link_is_refused(client, first_email_sent, action):
    order, row = first_email_sent
    before = _due(order)
    old = _path(row, action, issued_at=utcnow() - timedelta(days=121))
    response = client.post(old)
    assert response.status_code == 400 and b"expired" in response.data
    assert _due(order) == before
    # a link still inside its lifetime works
    assert client.get(_path(row, action, issued_at=utcnow() - timedelta(days=119))).status_code == 200


def test_read_token_with_an_explicit_now(app):
    token = links.make_token(5, links.HOLD, issued_at=utcnow())
    assert links.read_token(token, links.HOLD) == 5
    with pytest.raises(links.LinkError):
        links.read_token(token, links.HOLD, now=utcnow() + timedelta(days=200))


def test_one_click_unsubscribe_of_a_dose_step_stops_this_orders_followups(make_app, mag_rr_factory):
    # given CSRF protection on, as in production, and a sent dose email
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        order, row = mag_rr_factory()
        client = app.test_client()
        # when the mailbox POSTs RFC 8058's one-click body, without any cookie or CSRF token
        response = client.post(_path(row, links.UNSUBSCRIBE), data={"List-Unsubscribe": "One-Click"})
        # then the rest of this order's plan is cancelled
        assert response.status_code == 200 and b"You are unsubscribed" in response.data
        assert [f["status"] for f in order_followups(order)] == ["sent"] + ["cancelled"] * 5
        # and marketing is not suppressed for the address (it was a dose step)
        assert db.session.scalar(select(EmailSuppression.id)) is None
        # a replay is harmless
        assert client.post(_path(row, links.UNSUBSCRIBE)).status_code == 200


def test_unsubscribing_from_a_checkin_stops_marketing_but_not_dose_steps(client, mag_rr, delivered):
    # given an order whose day-30 check-in went out
    order, _ = delivered(mag_rr)
    for day in (0, 7, 14, 29, 30):
        dispatch_due_followups(now=evening(day))
    checkin = _row(order, 30, kind="checkin")
    assert checkin.status == "sent"
    # when the customer unsubscribes from it
    response = client.post(_path(checkin, links.UNSUBSCRIBE))
    assert response.status_code == 200 and b"Dosing notes still do" in response.data
    # then the address is suppressed for marketing and the day-60 check-in is cancelled
    assert db.session.scalar(select(EmailSuppression.email)) == "buyer@example.com"
    assert order_followups(order)[-1]["status"] == "cancelled"
    # and a later order still gets its dose steps, but no check-ins or reminder
    later, _ = delivered(mag_rr, at=evening(40) - timedelta(hours=5))
    sent_kinds = []
    for day in (40, 47, 54, 69, 70, 100):
        dispatch_due_followups(now=evening(day))
    db.session.expire_all()
    sent_kinds = [r.kind for r in db.session.scalars(
        select(FollowUp).where(FollowUp.order_id == later.id, FollowUp.status == "sent"))]
    assert sent_kinds == [DOSE, DOSE, DOSE]


def as_utc_iso(value: str):
    from datetime import datetime

    return as_utc(datetime.fromisoformat(value))


@pytest.fixture
def mag_rr_factory(make_product, make_order):
    """For tests that build their own app: Mag R&R delivered, its day-0 email sent."""

    def make():
        from shop.fulfilment.services import deliver_order
        from tests.followups.conftest import DELIVERED_AT

        product = make_product(slug="mag-rr-csrf")
        order, _ = make_order(product, status="shipped")
        deliver_order(order.id, delivered_at=DELIVERED_AT, actor="staff:test", now=DELIVERED_AT)
        db.session.commit()
        dispatch_due_followups(now=evening(0))
        return order, _row(order, 0)

    return make
