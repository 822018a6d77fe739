"""The second factor: admins and support enrol an authenticator app; signing in then asks for
its code (or a one-time recovery code) after the password; production requires it."""
import re
import time

import pyotp
import pytest

from tests.admin.conftest import PASSWORD

SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')
RECOVERY = re.compile(r"<li><code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code></li>")


def _enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up the app through the admin page, as a member would: (their TOTP, recovery codes)."""
    page = client.get("/admin/second-factor").get_data(as_text=True)
    totp = pyotp.TOTP(SECRET.search(page).group(1))
    assert "otpauth://totp/" in page
    response = client.post("/admin/second-factor", data={"code": totp.now()})
    assert response.status_code == 201, response.get_data(as_text=True)
    return totp, RECOVERY.findall(response.get_data(as_text=True))


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (accepted for clock drift; never used before)."""
    return totp.at(int(time.time()) + totp.interval)


def test_an_enrolled_admin_signs_in_with_password_then_code(web, staff_client, sign_in):
    # Given an admin who set up an authenticator app, and got ten recovery codes once
    client, staff = staff_client("admin")
    totp, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    # When they sign in again from another browser with the password
    browser = web.test_client()
    response = sign_in(browser, staff)
    # Then a code is asked for, and nothing of the admin opens before it
    assert response.status_code == 303 and response.headers["Location"] == "/admin/login/code"
    assert browser.get("/admin").status_code in (302, 303)
    # ... a wrong code is refused
    assert browser.post("/admin/login/code", data={"code": "000000"}).status_code == 401
    # ... and the code from the app signs them in
    response = browser.post("/admin/login/code", data={"code": _next_code(totp)})
    assert response.status_code == 303 and response.headers["Location"] == "/admin"
    assert browser.get("/admin/orders").status_code == 200


def test_a_code_works_once(web, staff_client, sign_in):
    client, staff = staff_client("support")
    totp, _ = _enrol(client)
    code = _next_code(totp)
    first, second = web.test_client(), web.test_client()
    sign_in(first, staff)
    sign_in(second, staff)
    assert first.post("/admin/login/code", data={"code": code}).status_code == 303
    # the same code seen again (shoulder-surfed, or replayed) is refused
    assert second.post("/admin/login/code", data={"code": code}).status_code == 401


def test_a_recovery_code_works_once(web, staff_client, sign_in):
    # Given an enrolled member who lost their phone but kept the recovery codes
    client, staff = staff_client("support")
    _, codes = _enrol(client)
    # When they sign in with one recovery code (typed in capitals, with spaces)
    browser = web.test_client()
    sign_in(browser, staff)
    response = browser.post("/admin/login/code", data={"code": " " + codes[3].upper() + " "})
    # Then they are in
    assert response.status_code == 303 and browser.get("/admin").status_code == 200
    # ... and the same code does not work a second time
    again = web.test_client()
    sign_in(again, staff)
    assert again.post("/admin/login/code", data={"code": codes[3]}).status_code == 401
    assert again.post("/admin/login/code", data={"code": codes[4]}).status_code == 303


def test_enrolling_ends_the_members_other_sessions(web, staff_client, sign_in):
    client, staff = staff_client("admin")
    other = web.test_client()
    sign_in(other, staff)
    _enrol(client)
    assert client.get("/admin").status_code == 200
    assert other.get("/admin").status_code in (302, 303)


def test_a_wrong_first_code_enrols_nothing(web, staff_client, sign_in):
    client, staff = staff_client("admin")
    client.get("/admin/second-factor")
    response = client.post("/admin/second-factor", data={"code": "123456"})
    assert response.status_code == 422 and "That code is not right" in response.get_data(as_text=True)
    # signing in still needs the password only
    assert sign_in(web.test_client(), staff).headers["Location"] == "/admin"


@pytest.mark.parametrize("role, sent_to_enrol", [("admin", True), ("support", True), ("fulfilment", False)])
def test_where_required_money_roles_enrol_before_any_other_page(make_app, make_staff, sign_in,
                                                                role, sent_to_enrol):
    # Given a store that requires the second factor, and a member without one
    app = make_app(STAFF_TOTP_REQUIRED=True)
    with app.app_context():
        staff, token = make_staff(role)
    client = app.test_client()
    sign_in(client, staff)
    # When they open an admin page
    response = client.get("/admin/orders")
    # Then admins and support are sent to set up the second factor first; fulfilment is not
    if sent_to_enrol:
        assert response.status_code in (302, 303) and response.headers["Location"] == "/admin/second-factor"
        assert client.get("/admin/second-factor").status_code == 200
        _enrol(client)
        assert client.get("/admin/orders").status_code == 200
    else:
        assert response.status_code == 200
    # ... and the staff API's bearer tokens are not affected
    api = client.get("/api/v1/admin/orders/999999", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 404


def test_production_requires_the_second_factor_and_development_does_not(make_app):
    assert make_app(SHOP_ENV="production", ALLOW_SQLITE_IN_PRODUCTION=True).config["STAFF_TOTP_REQUIRED"] is True
    assert make_app().config["STAFF_TOTP_REQUIRED"] is False
    assert make_app(SHOP_ENV="production", ALLOW_SQLITE_IN_PRODUCTION=True,
                    STAFF_TOTP_REQUIRED=False).config["STAFF_TOTP_REQUIRED"] is False


def test_code_attempts_are_rate_limited_per_member(make_app, make_staff):
    # Given rate limits on, and an enrolled member whose password is known to someone
    app = make_app(RATELIMIT_ENABLED=True, ADMIN_CODE_RATE_LIMIT="3/minute")
    with app.app_context():
        from shop.accounts import second_factor
        from shop.extensions import db

        staff, _ = make_staff("admin")
        secret = second_factor.new_secret()
        second_factor.confirm_enrolment(staff, secret, pyotp.TOTP(secret).now())
        db.session.commit()
    # When codes are guessed, even from fresh browsers
    statuses = []
    for _ in range(4):
        browser = app.test_client()
        browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
        statuses.append(browser.post("/admin/login/code", data={"code": "000000"}).status_code)
    # Then the attempts past the limit are refused without checking anything
    assert statuses == [401, 401, 401, 429]
    browser = app.test_client()
    browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    right = browser.post("/admin/login/code", data={"code": _next_code(pyotp.TOTP(secret))})
    assert right.status_code == 429


def test_a_new_set_of_recovery_codes_replaces_the_old(web, staff_client, sign_in):
    client, staff = staff_client("support")
    totp, old = _enrol(client)
    response = client.post("/admin/second-factor/recovery-codes", data={"code": _next_code(totp)})
    assert response.status_code == 201
    new = RECOVERY.findall(response.get_data(as_text=True))
    browser = web.test_client()
    sign_in(browser, staff)
    assert browser.post("/admin/login/code", data={"code": old[0]}).status_code == 401
    assert browser.post("/admin/login/code", data={"code": new[0]}).status_code == 303


def test_an_admin_resets_a_members_lost_second_factor(web, staff_client, sign_in):
    # Given a support member with a second factor, signed in
    client, member = staff_client("support")
    _enrol(client)
    admin, _ = staff_client("admin")
    assert "Reset (lost phone)" in admin.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    # When an admin resets it
    assert admin.post(f"/admin/staff/{member.id}/second-factor/reset").status_code == 303
    # Then the member's sessions end and the password alone signs them in again
    assert client.get("/admin").status_code in (302, 303)
    assert sign_in(web.test_client(), member).headers["Location"] == "/admin"
