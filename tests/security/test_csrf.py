"""Every HTML form's POST is refused without a CSRF token (the API and RFC 8058 one-click aside).

The routes are read from the app's URL map, so a form added later is covered without touching
this file.
"""
import re

import pytest

from shop import create_app

# Exempt on purpose: /api/ is authenticated by tokens in headers, never by cookies; the
# one-click unsubscribe is POSTed by mailbox providers with no session at all (RFC 8058).
EXEMPT_ENDPOINTS = {"followups.unsubscribe"}


def _post_routes() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "CELERY_BROKER_URL": "memory://"})
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in EXEMPT_ENDPOINTS:
            continue
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        routes.append((rule.endpoint, path))
    return sorted(routes)


ROUTES = _post_routes()


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def signed_in_admin(make_app, make_staff):
    """A browser signed in as an admin through the real form, with CSRF protection on."""
    app = make_app(WTF_CSRF_ENABLED=True)
    staff, _ = make_staff("admin")
    client = app.test_client()
    token = _csrf_token(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"email": staff.email, "password": "correct horse battery",
                                                 "csrf_token": token})
    assert response.status_code == 303  # the token works: the refusals below are about its absence
    return client


def test_the_map_has_the_forms_we_know_of():
    endpoints = {endpoint for endpoint, _ in ROUTES}
    assert {"admin.login", "cart.add", "cart.checkout", "guarantee.file_claim", "followups.hold",
            "admin.data_erase"} <= endpoints


def test_every_form_post_without_a_valid_token_is_refused(signed_in_admin):
    # One signed-in browser for every route (signing in costs a password hash).
    accepted = []
    for endpoint, path in ROUTES:
        # when: no token at all, then a forged one
        missing = signed_in_admin.post(path, data={"email": "x@example.com", "role": "admin"})
        forged = signed_in_admin.post(path, data={"csrf_token": "forged." + "x" * 40, "role": "admin"})
        # then
        if missing.status_code != 400 or b"CSRF" not in missing.data:
            accepted.append(f"{endpoint} without a token: {missing.status_code}")
        if forged.status_code != 400:
            accepted.append(f"{endpoint} with a forged token: {forged.status_code}")
    assert not accepted, "POST accepted without a valid CSRF token:\n" + "\n".join(accepted)


def test_the_shared_product_page_gives_each_visitor_a_token_of_their_own(make_app, make_product):
    # The plain product page is rendered once and shared; only its CSRF token is per visitor.
    app = make_app(WTF_CSRF_ENABLED=True)
    make_product(slug="mag-rr", name="Mag R&R", stock=5)
    alice, bob = app.test_client(), app.test_client()
    # when two visitors read the same page
    alice_page = alice.get("/products/mag-rr").get_data(as_text=True)
    bob_page = bob.get("/products/mag-rr").get_data(as_text=True)
    # then every form of each page carries that visitor's token, and the tokens differ
    alice_tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', alice_page))
    bob_tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', bob_page))
    assert len(alice_tokens) == 1 and len(bob_tokens) == 1 and alice_tokens != bob_tokens
    assert alice_page.count(alice_tokens.pop()) >= 3  # the buy box, the review and question forms
    # and each token works for its own visitor only
    bob_token = bob_tokens.pop()
    assert alice.post("/cart/add", data={"slug": "mag-rr", "quantity": 1, "csrf_token": bob_token}).status_code == 400
    added = bob.post("/cart/add", data={"slug": "mag-rr", "quantity": 1, "csrf_token": bob_token})
    assert added.status_code == 303
    # and the message the cart leaves is shown to that visitor, not baked into anyone's page
    assert "is in your cart" in bob.get(added.headers["Location"]).get_data(as_text=True)
    assert "is in your cart" not in alice.get("/products/mag-rr").get_data(as_text=True)
