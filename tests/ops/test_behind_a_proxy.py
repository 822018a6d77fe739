"""Production behind a TLS-terminating proxy: where plain HTTP is sent, whose forwarded headers
are believed, what the checkout form may post to, and who may read /metrics."""
import pytest
from flask import request

PRODUCTION = {"SHOP_ENV": "production", "ALLOW_SQLITE_IN_PRODUCTION": True, "PUBLIC_URL": "https://shop.example"}


@pytest.fixture
def production_app(make_app):
    def build(**overrides):
        app = make_app(**{**PRODUCTION, **overrides})
        app.add_url_rule("/test-client-address", "client_address", lambda: request.remote_addr or "")
        return app
    return build


def test_plain_http_is_sent_to_public_urls_https_address(production_app):
    client = production_app().test_client()
    # when a visitor asks over plain HTTP
    response = client.get("/products?q=mag%20rr", base_url="http://shop.example")
    # then the same path and query at PUBLIC_URL's https origin, for good
    assert response.status_code == 301
    assert response.headers["Location"] == "https://shop.example/products?q=mag%20rr"


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example"},
    {"X-Forwarded-Host": "evil.example"},
    {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
])
def test_a_forged_host_never_leads_the_redirect_off_site(production_app, headers):
    client = production_app(TRUSTED_PROXIES=1).test_client()
    response = client.get("/cart", base_url="http://shop.example", headers=headers)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://shop.example/cart"


def test_a_plain_http_post_keeps_its_method(production_app):
    response = production_app().test_client().post("/cart/add", base_url="http://shop.example")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://shop.example/cart/add"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_over_plain_http(production_app, path):
    # given a load balancer probing the web process directly
    response = production_app().test_client().get(path, base_url="http://web:8000")
    # then it gets the answer, not a redirect it cannot follow
    assert response.status_code == 200


def test_the_webhook_is_answered_where_it_arrives(production_app):
    # Stripe posts to the https address it was given; a POST that arrives over plain HTTP is
    # judged on its signature (here: none, so 400), never redirected.
    response = production_app().test_client().post("/api/v1/stripe/webhook", data=b"{}",
                                                  base_url="http://web:8000")
    assert response.status_code == 400


def test_forwarded_headers_are_ignored_without_trusted_proxies(production_app):
    client = production_app().test_client()  # TRUSTED_PROXIES defaults to 0
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/cart", base_url="http://shop.example", headers=forged).status_code == 301
    address = client.get("/test-client-address", base_url="https://shop.example", headers=forged)
    assert address.get_data(as_text=True) == "127.0.0.1"


def test_one_trusted_proxy_gives_the_client_address_and_scheme(production_app):
    client = production_app(TRUSTED_PROXIES=1).test_client()
    # the client forged the first X-Forwarded-For entry; the proxy appended the real address
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    response = client.get("/test-client-address", base_url="http://web:8000", headers=headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "203.0.113.9"
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def _form_action(response) -> list[str]:
    policy = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split(";") if d.strip()}
    return policy["form-action"]


def test_forms_may_post_only_here_and_to_stripe_checkout(production_app):
    response = production_app(STRIPE_API_BASE="http://127.0.0.1:12111").test_client().get(
        "/cart", base_url="https://shop.example")
    assert _form_action(response) == ["'self'", "https://checkout.stripe.com"]


def test_development_forms_may_also_post_to_the_stand_ins_pay_page(make_app):
    response = make_app(STRIPE_API_BASE="http://127.0.0.1:12111/").test_client().get("/cart")
    assert _form_action(response) == ["'self'", "https://checkout.stripe.com", "http://127.0.0.1:12111"]


def test_production_metrics_need_the_token(production_app):
    client = production_app(METRICS_TOKEN="scrape-token").test_client()
    secure = "https://shop.example"
    assert client.get("/metrics", base_url=secure).status_code == 401
    assert client.get("/metrics", base_url=secure, headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = client.get("/metrics", base_url=secure, headers={"Authorization": "Bearer scrape-token"})
    assert allowed.status_code == 200 and b"shop_http_requests_total" in allowed.data


def test_production_metrics_are_absent_without_a_token(production_app):
    response = production_app().test_client().get("/metrics", base_url="https://shop.example",
                                                  headers={"Authorization": "Bearer "})
    assert response.status_code == 404
