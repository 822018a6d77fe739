"""One error shape for every /api/ answer, HTML error pages, and the security headers."""
import pytest
from flask import request

from shop.accounts.auth import staff_token_required

ERROR_FIELDS = {"code", "status", "message", "errors"}


@pytest.fixture
def app_with_test_routes(make_app):
    """An app of this test's own with routes that read JSON, echo it, or fail unexpectedly."""
    app = make_app(MAX_CONTENT_LENGTH=1024, PROPAGATE_EXCEPTIONS=False)

    @app.post("/api/v1/_test/echo")
    def echo():
        return {"received": request.get_json()}

    @app.get("/api/v1/_test/boom")
    def boom():
        raise RuntimeError("password=hunter2 at postgresql://shop:hunter2@db/shop")

    @app.get("/_test/boom")
    def boom_page():
        raise RuntimeError("password=hunter2")

    @app.get("/api/v1/_test/fulfilment")
    @staff_token_required("fulfilment")
    def fulfilment_only():
        return {"ok": True}

    return app


def _shaped(response, code):
    assert response.status_code == code
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ERROR_FIELDS
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def test_unknown_api_route_is_a_shaped_404(client):
    body = _shaped(client.get("/api/v1/no-such-thing"), 404)
    assert body["status"] == "Not Found" and body["errors"] == {}


def test_wrong_method_is_a_shaped_405_with_allow(client):
    response = client.post("/api/v1/products")
    body = _shaped(response, 405)
    assert body["status"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_a_shaped_400(app_with_test_routes):
    response = app_with_test_routes.test_client().post(
        "/api/v1/_test/echo", data='{"email": "a@b.c",', content_type="application/json")
    body = _shaped(response, 400)
    assert body["status"] == "Bad Request" and body["message"] == "Malformed request"


def test_oversized_body_is_a_shaped_413(app_with_test_routes):
    response = app_with_test_routes.test_client().post(
        "/api/v1/_test/echo", json={"body": "x" * 5000})
    body = _shaped(response, 413)
    assert body["status"] == "Content Too Large" or body["status"] == "Request Entity Too Large"
    assert body["message"] == "Request body too large"


def test_a_json_body_within_the_limit_goes_through(app_with_test_routes):
    response = app_with_test_routes.test_client().post("/api/v1/_test/echo", json={"a": 1})
    assert response.status_code == 200 and response.get_json() == {"received": {"a": 1}}


def test_an_unexpected_error_is_a_500_without_internals(app_with_test_routes, caplog):
    response = app_with_test_routes.test_client().get("/api/v1/_test/boom")
    body = _shaped(response, 500)
    assert body == {"code": 500, "status": "Internal Server Error", "message": "Internal Server Error", "errors": {}}
    raw = response.get_data(as_text=True)
    for secret in ("hunter2", "Traceback", "RuntimeError", "postgresql", "boom"):
        assert secret not in raw
    # the operator still gets the trace in the log
    assert "RuntimeError" in caplog.text


def test_an_unexpected_error_on_a_page_is_a_plain_500_page(app_with_test_routes):
    response = app_with_test_routes.test_client().get("/_test/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "hunter2" not in html and "Traceback" not in html


def test_staff_token_guard_answers_401_and_403_in_the_shape(app_with_test_routes, make_staff):
    client = app_with_test_routes.test_client()
    with app_with_test_routes.app_context():
        _, support = make_staff("support")
        _, fulfilment = make_staff("fulfilment")
    _shaped(client.get("/api/v1/_test/fulfilment"), 401)
    _shaped(client.get("/api/v1/_test/fulfilment", headers={"Authorization": "Bearer nope"}), 401)
    _shaped(client.get("/api/v1/_test/fulfilment", headers={"Authorization": f"Basic {fulfilment}"}), 401)
    _shaped(client.get("/api/v1/_test/fulfilment", headers={"Authorization": f"Bearer {support}"}), 403)
    ok = client.get("/api/v1/_test/fulfilment", headers={"Authorization": f"Bearer {fulfilment}"})
    assert ok.status_code == 200


def test_html_404_is_a_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "We could not find that page" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/products", "/products/mag-rr", "/no-such-page", "/api/docs"])
def test_html_answers_refuse_sniffing_and_framing(client, mag_rr, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    frame_denied = response.headers.get("X-Frame-Options") == "DENY" or \
        "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")
    assert frame_denied
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_health_and_readiness(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": True, "broker": True}


def test_readiness_fails_when_the_database_is_down(standalone_app, tmp_path):
    app = standalone_app(f"sqlite:///{tmp_path}/missing-dir/nope.sqlite3")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] is False


def test_json_nested_thousands_deep_is_a_shaped_400(app_with_test_routes):
    client = app_with_test_routes.test_client()
    response = client.post("/api/v1/_test/echo", data="[" * 900 + "]" * 900, content_type="application/json")
    assert response.status_code in (200, 400, 413)
    deep = client.post("/api/v1/_test/echo", data="[" * 1000, content_type="application/json")
    body = _shaped(deep, 400)
    assert body["message"] == "Malformed request"


def test_a_deep_recursion_elsewhere_is_still_a_500(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/api/v1/_test/recurse")
    def recurse():
        def down(n):
            return down(n + 1)
        return down(0)

    _shaped(app.test_client().get("/api/v1/_test/recurse"), 500)


@pytest.mark.parametrize("path", ["/api/v1/products?q=a%00b", "/api/v1/products/a%00b", "/api/v1/products?page=%00"])
def test_a_nul_character_in_the_address_is_a_shaped_400(client, mag_rr, path):
    _shaped(client.get(path), 400)


@pytest.mark.parametrize("path", ["/products?q=%00", "/products/mag%00rr"])
def test_a_nul_character_in_a_page_address_is_a_400_page(client, mag_rr, path):
    response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "text/html"


@pytest.mark.parametrize("order_id", [2**31, 2**63, 10**30])
def test_an_id_too_large_for_any_row_is_a_shaped_404(client, order_id):
    _shaped(client.get(f"/api/v1/orders/{order_id}", headers={"X-Order-Token": "x"}), 404)


@pytest.mark.postgres
def test_a_number_the_database_cannot_hold_is_a_shaped_422(make_app):
    from sqlalchemy import select

    from shop.catalog.models import Product
    from shop.extensions import db

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/api/v1/_test/price")
    def by_price():
        return {"found": db.session.scalar(select(Product.id).where(Product.price == int(request.args["p"])))}

    body = _shaped(app.test_client().get("/api/v1/_test/price?p=10000000000000"), 422)
    assert body["message"] == "A number is out of range"
