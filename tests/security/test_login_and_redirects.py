"""Signing in: a fresh session (no fixation), and no redirect to another site through user input."""
import hmac

import pytest

PASSWORD = "correct horse battery"
HOSTILE_NEXT = ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
                "http:evil.example", "javascript:alert(1)", "/\r\nLocation: https://evil.example",
                " //evil.example", "https:/evil.example"]


@pytest.fixture
def browser(make_app):
    return make_app().test_client()


def test_login_never_redirects_off_site(make_app, make_staff):
    staff, _ = make_staff("support")
    app = make_app()
    for next_url in HOSTILE_NEXT:
        # when
        response = app.test_client().post("/admin/login", query_string={"next": next_url},
                                          data={"email": staff.email, "password": PASSWORD})
        # then: the dashboard, on this site
        assert response.status_code == 303, next_url
        assert response.headers["Location"] in ("/admin/", "/admin"), next_url


def test_login_follows_a_local_next(browser, make_staff):
    staff, _ = make_staff("support")
    response = browser.post("/admin/login?next=/admin/claims", data={"email": staff.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/claims"


def test_the_anonymous_redirect_to_login_keeps_next_local(browser):
    response = browser.get("/admin/claims")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_signing_in_starts_a_fresh_session(browser, make_staff):
    staff, _ = make_staff("admin")
    browser.get("/admin/login")
    with browser.session_transaction() as planted:  # what an attacker fixed in the victim's browser
        planted["planted"] = "by-attacker"
        planted["order_access"] = [424242]
    before = browser.get_cookie("session").value
    # when
    browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    # then
    after = browser.get_cookie("session").value
    assert after != before
    with browser.session_transaction() as session:
        assert "planted" not in session and "order_access" not in session
        assert session.get("_user_id", "").split(":")[0] == str(staff.id)


def test_signing_out_ends_the_session(browser, make_staff):
    staff, _ = make_staff("admin")
    browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    browser.post("/admin/logout")
    assert browser.get("/admin/").status_code in (302, 303)


@pytest.mark.parametrize("field", ["success_url", "cancel_url"])
@pytest.mark.parametrize("url", ["https://evil.example/paid", "//evil.example/paid", "javascript:alert(1)"])
def test_checkout_refuses_return_urls_on_other_sites(client, mag_rr, field, url):
    response = client.post("/api/v1/checkout", json={"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 1}],
                                                     field: url})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_the_cart_goes_back_only_to_pages_of_this_shop(client, mag_rr):
    # when: a form posted from another site's page (its Referer) adds to the cart
    response = client.post("/cart/add", data={"slug": "mag-rr", "quantity": "1"},
                           headers={"Referer": "https://evil.example/page"})
    # then
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


def test_tokens_are_compared_in_constant_time(client, make_order, mag_rr, staff_headers, monkeypatch):
    """The order token and the staff API token code paths go through hmac.compare_digest."""
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((type(a).__name__, len(a)))
        return real(a, b)

    order, token = make_order(mag_rr)
    headers = staff_headers("support")
    monkeypatch.setattr(hmac, "compare_digest", counting)
    # when: the right order token, a wrong one, an unknown order, then a staff token
    assert client.get(f"/api/v1/orders/{order.id}", headers={"X-Order-Token": token}).status_code == 200
    assert client.get(f"/api/v1/orders/{order.id}", headers={"X-Order-Token": "x" * 40}).status_code == 404
    assert client.get("/api/v1/orders/999999", headers={"X-Order-Token": token}).status_code == 404
    order_checks = len(calls)
    assert client.get("/api/v1/admin/claims", headers=headers).status_code == 200
    # then: every order-token check compared digests, the unknown order included (same time)
    assert order_checks == 3
    assert len(calls) > order_checks
