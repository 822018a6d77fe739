"""Signing in and out: one message for every failure, rate limit, safe next, fresh sessions."""
import re

import pytest
from sqlalchemy import func, select

from shop.accounts.models import Staff, StaffSession
from shop.accounts.services import WRONG_CURRENT_SIGN_IN, authenticate, change_password
from shop.errors import Unprocessable
from shop.extensions import db
from tests.admin.conftest import PASSWORD

FAILED = "Email or password is incorrect"


def _page_without(response, *words) -> str:
    html = response.get_data(as_text=True)
    for word in words:
        html = html.replace(word, "")
    # The CSRF token is signed with the time: two pages a second apart carry different ones.
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_the_login_form_has_the_contract_fields(client):
    html = client.get("/admin/login").get_data(as_text=True)
    for name in ("email", "password", "csrf_token"):
        assert f'name="{name}"' in html


def test_a_wrong_password_and_an_unknown_email_read_the_same(client, make_staff):
    # Given a staff member
    staff, _ = make_staff("support", email="known@example.com")
    # When one sign-in has the wrong password and another an unknown email
    wrong_password = client.post("/admin/login", data={"email": "known@example.com", "password": "nope-nope-nope"})
    unknown = client.post("/admin/login", data={"email": "nobody@example.com", "password": "nope-nope-nope"})
    # Then both answer the same status, message and page (apart from the address typed)
    assert wrong_password.status_code == unknown.status_code == 401
    assert FAILED in wrong_password.get_data(as_text=True)
    assert _page_without(wrong_password, "known@example.com") == _page_without(unknown, "nobody@example.com")
    # ... and neither signed anyone in
    assert client.get("/admin").status_code in (302, 303)


def test_a_deactivated_member_reads_the_same_message(client, make_staff):
    staff, _ = make_staff("support", email="gone@example.com")
    staff.active = False
    db.session.commit()
    response = client.post("/admin/login", data={"email": "gone@example.com", "password": "correct horse battery"})
    assert response.status_code == 401
    assert FAILED in response.get_data(as_text=True)


def test_an_empty_form_reads_the_same_message(client):
    response = client.post("/admin/login", data={})
    assert response.status_code == 401
    assert FAILED in response.get_data(as_text=True)


def test_signing_in_lands_on_the_dashboard(client, make_staff, sign_in):
    staff, _ = make_staff("fulfilment")
    response = sign_in(client, staff)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin"
    assert client.get("/admin").status_code == 200


@pytest.mark.parametrize("target, lands", [
    ("/admin/orders?status=paid", "/admin/orders?status=paid"),
    ("https://evil.example/phish", "/admin"),
    ("//evil.example/phish", "/admin"),
    ("/\\evil.example", "/admin"),
    ("javascript:alert(1)", "/admin"),
    ("admin/orders", "/admin"),
])
def test_next_only_leads_to_a_path_on_this_site(client, make_staff, sign_in, target, lands):
    # Given a sign-in that came with ?next=
    staff, _ = make_staff("admin")
    # When it succeeds
    response = client.post("/admin/login", query_string={"next": target},
                           data={"email": staff.email, "password": "correct horse battery"})
    # Then it goes there only if that is a path here
    assert response.status_code == 303
    assert response.headers["Location"] == lands


def test_signing_in_starts_a_fresh_session(client, make_staff, sign_in):
    # Given a session holding something planted before sign-in
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    staff, _ = make_staff("support")
    # When the member signs in
    sign_in(client, staff)
    # Then nothing from before survives, and the session names the member
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].split(":")[0] == str(staff.id)


def test_session_cookie_flags(client, make_staff, sign_in):
    staff, _ = make_staff("support")
    response = sign_in(client, staff)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_session_cookies_are_secure(make_app, make_staff):
    # Given the store in production (HTTPS only)
    app = make_app(SHOP_ENV="production", ALLOW_SQLITE_IN_PRODUCTION=True)
    with app.app_context():
        staff, _ = make_staff("support")
    client = app.test_client()
    # When a member signs in
    response = client.post("/admin/login", base_url="https://shop.example",
                           data={"email": staff.email, "password": "correct horse battery"})
    # Then the session cookie is Secure, HttpOnly and SameSite=Lax
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session_and_only_by_post(client, make_staff, sign_in):
    staff, _ = make_staff("support")
    sign_in(client, staff)
    # A GET cannot sign anyone out (no logout by a link or an image)
    assert client.get("/admin/logout").status_code == 405
    # When the member signs out
    response = client.post("/admin/logout")
    # Then the session ends
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/login"
    assert client.get("/admin").status_code in (302, 303)


def test_changing_the_password_ends_other_sessions(web, make_staff, sign_in):
    # Given the same member signed in twice
    staff, _ = make_staff("support")
    laptop, phone = web.test_client(), web.test_client()
    sign_in(laptop, staff)
    sign_in(phone, staff)
    # When they change the password on the laptop
    response = laptop.post("/admin/password", data={
        "current_password": "correct horse battery", "new_password": "a much better secret",
        "confirm_password": "a much better secret",
    })
    # Then the laptop stays signed in, the phone is signed out
    assert response.status_code == 303
    assert laptop.get("/admin").status_code == 200
    assert phone.get("/admin").status_code in (302, 303)
    # ... and only the new password works
    assert sign_in(web.test_client(), staff).status_code == 401
    assert sign_in(web.test_client(), staff, password="a much better secret").status_code == 303


@pytest.mark.parametrize("fields, error", [
    ({"current_password": "wrong password!", "new_password": "a much better secret",
      "confirm_password": "a much better secret"}, "The current password is not right"),
    ({"current_password": "correct horse battery", "new_password": "a much better secret",
      "confirm_password": "another secret entirely"}, "The two new passwords differ"),
    ({"current_password": "correct horse battery", "new_password": "short",
      "confirm_password": "short"}, "at least 10"),
])
def test_a_refused_password_change_changes_nothing(web, make_staff, sign_in, fields, error):
    # Given a signed-in member
    staff, _ = make_staff("support")
    client = web.test_client()
    sign_in(client, staff)
    before = _stored(staff.id)
    # When the change is refused
    response = client.post("/admin/password", data=fields)
    # Then the form says why, and the member is as they were: same password, same sessions
    assert response.status_code == 422
    assert error.lower() in response.get_data(as_text=True).lower()
    assert _stored(staff.id) == before
    assert client.get("/admin").status_code == 200
    assert sign_in(web.test_client(), staff).status_code == 303


def _stored(staff_id: int) -> tuple:
    """What the database holds of a member's password and sessions."""
    db.session.expire_all()
    staff = db.session.get(Staff, staff_id)
    ended = db.session.scalar(select(func.count(StaffSession.id)).where(StaffSession.staff_id == staff_id,
                                                                        StaffSession.ended_at.is_not(None)))
    return staff.password_hash, staff.session_version, ended


def test_a_password_change_needs_the_current_password(app, make_staff):
    # Given a member
    staff, _ = make_staff("support")
    version = staff.session_version
    # When the current password given is wrong
    with pytest.raises(Unprocessable) as refused:
        change_password(staff, "not my password", "a much better secret")
    # Then it is refused on that field, before anything changed
    assert refused.value.errors == {"current_password": [WRONG_CURRENT_SIGN_IN]}
    assert staff.session_version == version and authenticate(staff.email, PASSWORD) is staff
    # ... and with the right one, the new password replaces it and every session ends
    change_password(staff, PASSWORD, "a much better secret")
    assert staff.session_version == version + 1
    assert authenticate(staff.email, "a much better secret") is staff


def test_login_attempts_are_rate_limited(make_app, make_staff):
    # Given rate limits on (10 sign-in attempts a minute per address)
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    # When an address keeps guessing
    statuses = [client.post("/admin/login", data={"email": "x@example.com", "password": "guess-guess"}).status_code
                for _ in range(11)]
    # Then the 11th attempt is refused without checking anything
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # ... while showing the form stays possible
    assert client.get("/admin/login").status_code == 200
