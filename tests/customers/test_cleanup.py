"""The hourly beat task forgets spent sign-in links and ended or expired customer and staff sessions."""
from datetime import timedelta

from sqlalchemy import select

from shop.customers.login import customer_for_email, request_sign_in, use_link
from shop.customers.models import SIGN_IN, AccountLink, CustomerSession
from shop.customers.sessions import customer_for_key, start_session
from shop.customers.tasks import forget_spent_sign_ins
from shop.db import utcnow
from shop.extensions import db
from tests.customers.conftest import link_in_outbox
from worker.config import celery_settings

JANE = "jane@example.com"
LONG_AGO = timedelta(days=2)


def _token(to: str) -> str:
    return link_in_outbox(to).rpartition("/")[2]


def _links() -> set[str]:
    db.session.rollback()  # what the task committed, not what it left in a transaction
    return set(db.session.scalars(select(AccountLink.email)))


def _session_ids() -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(CustomerSession.id)))


def test_spent_links_and_ended_sessions_are_deleted_and_live_ones_kept(app):
    # Given a link used two days ago, one that expired two days ago, and one still waiting
    request_sign_in("used@example.com", now=utcnow() - LONG_AGO)
    request_sign_in("expired@example.com", now=utcnow() - LONG_AGO)
    request_sign_in("waiting@example.com")
    db.session.commit()
    use_link(_token("used@example.com"), SIGN_IN, now=utcnow() - LONG_AGO + timedelta(minutes=1))
    # ... and sessions: ended two days ago, expired two days ago, and live
    jane = customer_for_email(JANE, create=True)
    ended, expired, live = (start_session(jane) for _ in range(3))
    sessions = list(db.session.scalars(select(CustomerSession).order_by(CustomerSession.id)))
    sessions[0].ended_at = utcnow() - LONG_AGO
    sessions[1].expires_at = utcnow() - LONG_AGO
    db.session.commit()
    live_id = sessions[2].id

    # When beat's task runs (in its own unit of work), twice: a replay
    first = forget_spent_sign_ins()
    second = forget_spent_sign_ins()

    # Then the spent rows are gone, committed, and the replay found nothing more
    assert first == {"links": 2, "sessions": 2, "staff_sessions": 0}
    assert second == {"links": 0, "sessions": 0, "staff_sessions": 0}
    assert _links() == {"waiting@example.com"}
    assert _session_ids() == {live_id}
    # and the live ones still work: the waiting link signs in, the live session is still signed in
    assert customer_for_key(live) is not None and customer_for_key(ended) is None and customer_for_key(expired) is None
    assert use_link(_token("waiting@example.com"), SIGN_IN).email == "waiting@example.com"


def test_a_link_spent_today_is_kept_so_a_second_click_still_says_used(client):
    # Given a link used a minute ago
    client.post("/account/login", data={"email": JANE})
    link = link_in_outbox(JANE)
    client.post(link)
    # When the task runs
    assert forget_spent_sign_ins() == {"links": 0, "sessions": 0, "staff_sessions": 0}
    # Then clicking the link again says it was used, not that it is not valid
    again = client.post(link)
    assert again.status_code == 410 and b"used already" in again.data


def test_beat_runs_the_task_hourly_and_the_worker_loads_it(app):
    settings = celery_settings(app.config)
    entry = settings["beat_schedule"]["forget-spent-sign-ins"]
    assert entry["task"] == forget_spent_sign_ins.name and entry["schedule"] == 3600.0
    assert "shop.customers.tasks" in settings["include"]


def test_admin_sessions_are_kept_a_month_after_they_stop_working_then_deleted(app, make_staff):
    from shop.accounts.models import StaffSession
    from shop.accounts.sessions import staff_for_session, start_session as start_staff_session

    # Given an admin's sessions: ended 31 days ago, expired 31 days ago, ended 2 days ago, live
    staff, _ = make_staff("admin")
    keys = [start_staff_session(staff) for _ in range(4)]
    rows = list(db.session.scalars(select(StaffSession).order_by(StaffSession.id)))
    rows[0].ended_at = utcnow() - timedelta(days=31)
    rows[1].expires_at = utcnow() - timedelta(days=31)
    rows[2].ended_at = utcnow() - LONG_AGO
    db.session.commit()
    kept = {rows[2].id, rows[3].id}

    # When the hourly task runs, twice
    first, second = forget_spent_sign_ins(), forget_spent_sign_ins()

    # Then the two spent a month ago are gone, the recent trail and the live session stay
    assert first["staff_sessions"] == 2 and second["staff_sessions"] == 0
    db.session.rollback()
    assert set(db.session.scalars(select(StaffSession.id))) == kept
    assert staff_for_session(f"{staff.id}:{keys[3]}") is not None
