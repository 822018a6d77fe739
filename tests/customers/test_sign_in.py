"""Signing in to a customer account by a one-time emailed link, and out again."""
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.customers.login import request_sign_in
from shop.customers.models import AccountLink, Customer
from shop.customers.sessions import COOKIE
from shop.db import utcnow
from shop.extensions import db
from tests.customers.conftest import link_in_outbox, sent_to
from tests.ops.test_logs_and_metrics import log_lines  # noqa: F401  the shop's JSON log lines, parsed

JANE = "jane@example.com"


def _cookie(client):
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def test_the_emailed_link_signs_in_once_and_creates_the_account(client, mag_rr, make_order):
    # Given an address that ordered as a guest
    make_order(mag_rr, email="Jane@Example.com")
    # When its owner asks for a link and opens it
    asked = client.post("/account/login", data={"email": "  Jane@Example.COM "})
    link = link_in_outbox(JANE)
    shown = client.get(link)
    # Then the link's page asks before it signs in (opening it spends nothing)
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/account/login/sent")
    assert shown.status_code == 200 and b"Sign in as jane@example.com?" in shown.data
    assert db.session.scalar(select(Customer)) is None
    # When the button is pressed
    done = client.post(link)
    # Then the browser is signed in, and the account exists, lower-cased
    assert done.status_code == 303 and done.headers["Location"].endswith("/account")
    assert _cookie(client)
    assert client.get("/account").status_code == 200
    assert db.session.scalar(select(Customer.email)) == JANE
    # and the link does not work a second time
    again = client.post(link)
    assert again.status_code == 410 and b"used already" in again.data
    assert client.get(link).status_code == 410


def test_only_a_digest_of_the_token_is_stored(client):
    client.post("/account/login", data={"email": JANE})
    token = link_in_outbox(JANE).rpartition("/")[2]
    stored = db.session.scalar(select(AccountLink))
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_a_link_expires_after_fifteen_minutes(client):
    # Given a link emailed sixteen minutes ago
    request_sign_in(JANE, now=utcnow() - timedelta(minutes=16))
    db.session.commit()
    link = link_in_outbox(JANE)
    # When it is opened, or its button pressed
    shown, pressed = client.get(link), client.post(link)
    # Then it is gone, the page says why, and no one is signed in
    assert shown.status_code == pressed.status_code == 410
    assert b"expired" in pressed.data and b"new sign-in link" in pressed.data
    assert _cookie(client) is None and db.session.scalar(select(Customer)) is None


def test_a_link_fourteen_minutes_old_still_works(client):
    request_sign_in(JANE, now=utcnow() - timedelta(minutes=14))
    db.session.commit()
    assert client.post(link_in_outbox(JANE)).status_code == 303


@pytest.mark.parametrize("change", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character altered
    lambda token: token[:20],  # cut short
    lambda token: "x" * 300,  # nonsense
])
def test_a_tampered_link_is_refused_and_changes_nothing(client, change):
    client.post("/account/login", data={"email": JANE})
    token = link_in_outbox(JANE).rpartition("/")[2]
    tampered = f"/account/login/{change(token)}"
    # When
    shown, pressed = client.get(tampered), client.post(tampered)
    # Then
    assert shown.status_code == pressed.status_code == 400
    assert b"not valid" in pressed.data
    assert _cookie(client) is None
    # and the genuine link still works
    assert client.post(f"/account/login/{token}").status_code == 303


def test_a_link_signs_in_the_address_it_was_sent_to_only(make_app, mag_rr, make_order, sign_in):
    # Given Jane's and Bob's orders, and Jane signed in
    jane_order, _ = make_order(mag_rr, email=JANE)
    bob_order, _ = make_order(mag_rr, email="bob@example.com")
    client = sign_in(make_app().test_client(), JANE)
    # When Bob's link is opened in Jane's browser
    client.post("/account/login", data={"email": "bob@example.com"})
    bob_link = link_in_outbox("bob@example.com")
    assert b"Sign in as bob@example.com?" in client.get(bob_link).data
    client.post(bob_link)
    # Then that browser is Bob's now: Bob's order, not Jane's
    page = client.get("/account").data.decode()
    assert f"Order {bob_order.id}" in page and f"Order {jane_order.id}" not in page
    assert client.get(f"/orders/{jane_order.id}").status_code == 404


def test_an_erase_link_does_not_sign_in(client, sign_in):
    sign_in(client, JANE)
    client.post("/account/erase")
    erase_token = link_in_outbox(JANE, "account_erase").rpartition("/")[2]
    other = client.application.test_client()
    # When the erase link's token is used as a sign-in link
    response = other.post(f"/account/login/{erase_token}")
    # Then it is not valid there
    assert response.status_code == 400 and _cookie(other) is None


def test_known_and_unknown_addresses_get_the_same_answer(client, mag_rr, make_order):
    # Given an address with orders, and one without
    make_order(mag_rr, email="known@example.com")
    answers = {}
    for email in ("known@example.com", "unknown@example.com"):
        as_json = client.post("/account/login", json={"email": email})
        as_form = client.post("/account/login", data={"email": email})
        answers[email] = (as_json.status_code, as_json.data, as_form.status_code, as_form.headers["Location"])
    # Then the answers are byte for byte the same, and each address got its link all the same
    assert answers["known@example.com"] == answers["unknown@example.com"]
    assert answers["known@example.com"][0] == 202 and answers["known@example.com"][2] == 303
    assert sent_to("known@example.com") == sent_to("unknown@example.com") == 2


def test_known_and_unknown_addresses_take_about_as_long(client, mag_rr, make_order):
    # Not a strict timing test: the two paths do the same work, so their means stay close.
    for n in range(3):
        make_order(mag_rr, email="known@example.com")

    def mean_seconds(email: str) -> float:
        times = []
        for _ in range(20):
            started = time.perf_counter()
            assert client.post("/account/login", json={"email": email}).status_code == 202
            times.append(time.perf_counter() - started)
        return statistics.mean(times)

    mean_seconds("warm-up@example.com")
    ratio = mean_seconds("known@example.com") / mean_seconds("unknown@example.com")
    assert 0.5 < ratio < 2, ratio


def test_a_malformed_address_is_refused_in_the_error_shape(client):
    as_json = client.post("/account/login", json={"email": "not an address"})
    as_form = client.post("/account/login", data={"email": "not an address"})
    no_body = client.post("/account/login", json=["email"])
    assert as_json.status_code == no_body.status_code == 422
    assert as_json.get_json() == {"code": 422, "status": "Unprocessable Entity", "message": "Validation failed",
                                  "errors": {"email": ["Email address invalid"]}}
    assert as_form.status_code == 422 and b"Email address invalid" in as_form.data
    assert db.session.scalar(select(AccountLink)) is None


def test_the_form_needs_its_csrf_token(app, make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    refused = client.post("/account/login", data={"email": JANE})
    assert refused.status_code == 400 and sent_to(JANE) == 0
    # JSON needs none: a page of another site cannot send it
    assert client.post("/account/login", json={"email": JANE}).status_code == 202


def test_links_are_limited_per_address_whoever_asks(app, make_app):
    app = make_app(RATELIMIT_ENABLED=True, ACCOUNT_LOGIN_RATE_LIMIT_EMAIL="3/hour", ACCOUNT_LOGIN_RATE_LIMIT="100/hour")
    client = app.test_client()
    statuses = [client.post("/account/login", json={"email": JANE.upper() if n % 2 else JANE},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code for n in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    assert sent_to(JANE) == 3
    refused = client.post("/account/login", json={"email": JANE})
    assert refused.get_json()["code"] == 429
    # another address is not held back
    assert client.post("/account/login", json={"email": "bob@example.com"}).status_code == 202


def test_links_are_limited_per_client(make_app, mag_rr, make_order):
    make_order(mag_rr, email="known@example.com")
    app = make_app(RATELIMIT_ENABLED=True, ACCOUNT_LOGIN_RATE_LIMIT="4/hour", ACCOUNT_LOGIN_RATE_LIMIT_EMAIL="100/hour")
    client = app.test_client()
    statuses = [client.post("/account/login", json={"email": f"{who}@example.com"}).status_code
                for who in ("known", "unknown", "a", "b", "known", "unknown")]
    # Then the fifth and later are refused alike, known address or not
    assert statuses == [202, 202, 202, 202, 429, 429]
    other_client = client.post("/account/login", json={"email": "c@example.com"},
                               environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_client.status_code == 202


def test_signing_out_ends_the_session_on_the_server(client, sign_in):
    sign_in(client, JANE)
    key = _cookie(client)
    # When the customer signs out
    out = client.post("/account/logout")
    # Then a copy of the old cookie opens nothing
    assert out.status_code == 303 and _cookie(client) is None
    copy = client.application.test_client()
    copy.set_cookie(COOKIE, key)
    assert copy.get("/account").status_code == 302
    assert copy.get("/api/v1/account/orders").status_code == 401


def test_signing_out_everywhere_ends_every_browser(app, make_app, sign_in):
    app = make_app()
    phone, laptop = sign_in(app.test_client(), JANE), sign_in(app.test_client(), JANE)
    # When the laptop signs out everywhere
    out = laptop.post("/account/logout-everywhere")
    # Then the phone is signed out too
    assert out.status_code == 303 and b"2 sessions ended" in laptop.get(out.headers["Location"]).data
    assert phone.get("/account").status_code == 302
    assert phone.get("/api/v1/account/orders").status_code == 401


def test_a_session_ends_after_account_session_days(app, make_app, sign_in):
    from shop.customers.models import CustomerSession

    client = sign_in(make_app(ACCOUNT_SESSION_DAYS=1).test_client(), JANE)
    row = db.session.scalar(select(CustomerSession))
    assert timedelta(hours=23) < row.expires_at - row.created_at <= timedelta(days=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_a_customer_session_never_opens_the_admin(client, sign_in):
    sign_in(client, JANE)
    response = client.get("/admin/")
    assert response.status_code in (302, 303) and "/admin/login" in response.headers["Location"]
    assert client.get("/api/v1/admin/claims").status_code == 401


def test_signed_out_pages_send_to_the_sign_in(client):
    for path in ("/account", "/account/data"):
        response = client.get(path)
        assert response.status_code in (302, 303) and response.headers["Location"].endswith("/account/login")
    assert client.post("/account/erase").status_code == 303
    assert client.post("/account/preferences/marketing", data={"on": "0"}).status_code == 303
    assert db.session.scalar(select(AccountLink)) is None


def test_the_access_log_never_holds_a_live_link(client, log_lines):
    client.post("/account/login", data={"email": JANE})
    link = link_in_outbox(JANE)
    client.get(link)
    client.post(link)
    paths = [line["path"] for line in log_lines() if line["logger"] == "shop.access"]
    assert "/account/login/<token>" in paths
    assert not [path for path in paths if link.rpartition("/")[2] in path]
