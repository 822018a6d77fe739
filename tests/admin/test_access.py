"""Who may open what: every admin route × anonymous and each role, and CSRF on every form.

The routes come from `app.url_map`, so a new admin route is covered the day it is added: it
must be classified in ROUTE_ROLES below or this test fails.
"""
import re

import pytest

from shop.accounts.models import ROLES

# Which roles may use a route, by path (first match wins), for GET and for POST.
# "public": anyone; otherwise the roles (admin may always, as Staff.has_role says).
ROUTE_ROLES = [
    (r"^/admin/login(/code)?$", {"GET": "public", "POST": "public"}),
    (r"^/admin/?$", {"GET": ("support", "fulfilment")}),
    (r"^/admin/(password|logout|second-factor)(/|$)",
     {"GET": ("support", "fulfilment"), "POST": ("support", "fulfilment")}),
    (r"^/admin/orders/<int:order_id>/(ship|deliver)$", {"POST": ("fulfilment",)}),
    (r"^/admin/orders/<int:order_id>/(refund|cancel)$", {"POST": ("support",)}),
    (r"^/admin/orders/<int:order_id>/packing-slip$", {"GET": ("fulfilment",)}),
    (r"^/admin/orders/export\.csv$", {"GET": ("support",)}),
    (r"^/admin/fulfilment(/|$)", {"GET": ("fulfilment",), "POST": ("fulfilment",)}),
    (r"^/admin/orders(/|$)", {"GET": ("support", "fulfilment")}),
    (r"^/admin/(claims|reviews|questions|emails)(/|$)", {"GET": ("support",), "POST": ("support",)}),
    (r"^/admin/promotion-codes(/|$)", {"GET": ("support",), "POST": ("support",)}),
    (r"^/admin/subscriptions(/|$)", {"GET": ("support",), "POST": ("support",)}),
    (r"^/admin/(products|staff|data|shipping-rates|collections|pages)(/|$)", {"GET": ("admin",), "POST": ("admin",)}),
]


def expected_roles(rule: str, method: str):
    for pattern, by_method in ROUTE_ROLES:
        if re.search(pattern, rule):
            return by_method.get(method)
    return None


def admin_routes(app):
    """(endpoint, rule, method) for every admin route; logout last (it ends the session)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, rule, method))
    return sorted(routes, key=lambda r: (r[0] == "admin.logout", r[2] == "POST", r[1].rule))


def url_for_rule(rule, world) -> str:
    missing = [arg for arg in rule.arguments if arg not in world]
    assert not missing, f"{rule.rule}: the admin_world fixture has no id for {missing}"
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{arg}>", str(world[arg]), path)
    return path


def test_every_admin_route_is_classified(app):
    # Given the app's admin routes
    routes = admin_routes(app)
    # Then each has an expected role set, so the matrix below covers it
    assert len(routes) > 30
    unclassified = [f"{m} {rule.rule}" for _, rule, m in routes if expected_roles(rule.rule, m) is None]
    assert not unclassified, f"Add these routes to ROUTE_ROLES: {unclassified}"


def test_anonymous_visitors_are_sent_to_the_login(app, client, admin_world):
    wrong = []
    for endpoint, rule, method in admin_routes(app):
        # When an anonymous visitor opens the route
        response = client.open(url_for_rule(rule, admin_world), method=method, data={})
        # Then only the login answers; everything else redirects to it
        if expected_roles(rule.rule, method) == "public":  # the code step without a password: back
            ok = response.status_code in (200, 401) or endpoint == "admin.login_code" and \
                response.headers["Location"].startswith("/admin/login")
        else:
            ok = response.status_code in (302, 303) and "/admin/login" in response.headers["Location"]
        if not ok:
            wrong.append(f"{method} {rule.rule} → {response.status_code}")
    assert not wrong


def test_anonymous_get_keeps_where_it_was_going(client):
    # When an anonymous visitor opens the claims queue
    response = client.get("/admin/claims?status=open")
    # Then the login brings them back there
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/admin/login?next=/admin/claims?status%3Dopen")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, admin_world, staff_client, role):
    # Given a signed-in member of `role`
    client, _ = staff_client(role)
    wrong = []
    for endpoint, rule, method in admin_routes(app):
        allowed = expected_roles(rule.rule, method)
        may = allowed == "public" or role == "admin" or role in allowed
        # When they open each admin route (GETs first, then form posts with no fields)
        response = client.open(url_for_rule(rule, admin_world), method=method, data={})
        status = response.status_code
        location = response.headers.get("Location", "")
        # Then the matrix holds: 403 for a role that may not, a real answer for one that may
        if not may:
            ok = status == 403
        elif method == "GET":
            ok = status == 200 or (endpoint in ("admin.login", "admin.login_code") and status in (302, 303))
        else:
            ok = status in (200, 201, 303, 401, 404, 409, 422) and "/admin/login" not in location \
                or endpoint in ("admin.logout", "admin.login_code")
        if not ok:
            wrong.append(f"{method} {rule.rule} → {status}")
    assert not wrong, f"{role}: {wrong}"


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="[^"]+"')
POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S | re.I)


def test_every_form_on_every_page_carries_a_csrf_token(make_app, admin_world, make_staff):
    # Given CSRF protection on, and an admin signed in through the form (with its token)
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        staff, _ = make_staff("admin", email="csrf-admin@example.com")
    assert _login_with_token(client, staff.email).status_code == 303
    checked = 0
    for endpoint, rule, method in admin_routes(app):
        if method != "GET":
            continue
        # When each admin page is shown
        html = client.get(url_for_rule(rule, admin_world)).get_data(as_text=True)
        # Then each of its forms that posts carries a CSRF token
        for form in POST_FORM.findall(html):
            assert CSRF_INPUT.search(form), f"{rule.rule}: a form without csrf_token"
            checked += 1
    assert checked > 20


def test_every_admin_post_without_a_csrf_token_is_refused(make_app, admin_world, make_staff):
    # Given CSRF protection on, and an admin signed in
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        staff, _ = make_staff("admin", email="csrf-admin@example.com")
    assert _login_with_token(client, staff.email).status_code == 303
    wrong = []
    for endpoint, rule, method in admin_routes(app):
        if method != "POST":
            continue
        # When a form is posted without its token
        response = client.post(url_for_rule(rule, admin_world), data={"published": "1", "active": "0"})
        # Then it is refused and nothing happens
        if response.status_code != 400:
            wrong.append(f"POST {rule.rule} → {response.status_code}")
    assert not wrong
    # ... and the session is still signed in (the refusals changed nothing)
    assert client.get("/admin").status_code == 200


def _login_with_token(client, email, password="correct horse battery"):
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    return client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token.group(1)})
