"""Sessions live on the server: signing out, a changed password or an expired session end them,
whatever copy of the cookie is left behind."""
from datetime import timedelta

from flask_login.utils import encode_cookie
from sqlalchemy import update

from shop.accounts.models import StaffSession
from shop.db import utcnow
from shop.extensions import db


def _copy_cookies(source, target) -> None:
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_a_copy_of_the_cookie_opens_nothing_after_signing_out(web, make_staff, sign_in):
    # Given a signed-in member whose session cookie was copied (a shared or stolen computer)
    staff, _ = make_staff("support")
    browser, copy = web.test_client(), web.test_client()
    sign_in(browser, staff)
    _copy_cookies(browser, copy)
    assert copy.get("/admin/orders").status_code == 200
    # When the member signs out
    assert browser.post("/admin/logout").status_code == 303
    # Then the copy opens no admin page any more
    for path in ("/admin", "/admin/orders", "/admin/password"):
        response = copy.get(path)
        assert response.status_code in (302, 303) and "/admin/login" in response.headers["Location"], path


def test_a_remember_cookie_naming_an_ended_session_opens_nothing(web, make_staff, sign_in):
    # Given a member signed in, and a remember cookie made for that same session
    staff, _ = make_staff("support")
    browser = web.test_client()
    sign_in(browser, staff)
    with browser.session_transaction() as session:
        session_id = session["_user_id"]
    with web.test_request_context():
        remember = encode_cookie(session_id)
    copy = web.test_client()
    copy.set_cookie("remember_token", remember)
    assert copy.get("/admin").status_code == 200
    # When the member signs out
    browser.post("/admin/logout")
    # Then the remember cookie no longer signs anyone in
    fresh = web.test_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/admin").status_code in (302, 303)


def test_signing_out_ends_only_that_session(web, make_staff, sign_in):
    staff, _ = make_staff("fulfilment")
    laptop, phone = web.test_client(), web.test_client()
    sign_in(laptop, staff)
    sign_in(phone, staff)
    laptop.post("/admin/logout")
    assert phone.get("/admin").status_code == 200
    assert laptop.get("/admin").status_code in (302, 303)


def test_a_session_ends_when_its_time_is_up(web, make_staff, sign_in):
    # Given a signed-in member
    staff, _ = make_staff("support")
    browser = web.test_client()
    sign_in(browser, staff)
    assert browser.get("/admin").status_code == 200
    # When the session's lifetime (STAFF_SESSION_HOURS) has passed
    with web.app_context():
        db.session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    # Then it opens nothing
    assert browser.get("/admin").status_code in (302, 303)


def test_a_session_lasts_staff_session_hours(make_app, make_staff, sign_in):
    app = make_app(STAFF_SESSION_HOURS=2)
    with app.app_context():
        staff, _ = make_staff("support")
    sign_in(app.test_client(), staff)
    with app.app_context():
        started = db.session.scalars(db.select(StaffSession)).one()
        assert started.expires_at - started.created_at == timedelta(hours=2)
