"""Text that is not valid Unicode (a lone surrogate, bytes that are not UTF-8) is a 4xx, never a 500.

JSON can write a lone surrogate (`"a\\ud800"`); a URL or a form can send bytes that would decode
to one (`%ED%A0%80`). Whatever the route, the answer is a 400 (the API error shape, or the error
page) and nothing is stored.
"""
import json

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import DELIVERED, Order
from shop.reviews.models import Entry

LONE = "a\ud800"
ERROR_FIELDS = {"code", "status", "message", "errors"}


def _assert_api_400(response):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == ERROR_FIELDS and body["code"] == 400


@pytest.fixture
def delivered(mag_rr, make_order):
    return make_order(mag_rr, status=DELIVERED)


@pytest.mark.parametrize("path, body, needs_token", [
    ("/api/v1/checkout", {"email": "buyer@example.com", "items": [{"slug": LONE, "quantity": 1}]}, False),
    ("/api/v1/checkout", {"email": "buyer@example.com", "items": [{"slug": "mag-rr", "quantity": 1}],
                          "success_url": "https://shop.test/" + LONE}, False),
    ("/api/v1/products/mag-rr/reviews", {"kind": "question", "name": LONE, "email": "a@example.com",
                                         "body": "Is it vegan?"}, False),
    ("/api/v1/products/mag-rr/reviews", {"kind": "question", "name": "Ann", "email": "a@example.com",
                                         "body": "Vegan? \udc00"}, False),
    ("/api/v1/orders/{order_id}/claims", {"reason": LONE}, True),
    ("/api/v1/checkout", {LONE: 1, "email": "buyer@example.com", "items": []}, False),
])
def test_a_json_body_with_a_lone_surrogate_is_a_400(client, delivered, path, body, needs_token):
    # given a delivered order of Mag R&R
    order, token = delivered
    orders_before = db.session.scalar(select(func.count()).select_from(Order))
    # when a JSON body carries a lone surrogate in any field (or key)
    response = client.post(path.format(order_id=order.id), data=json.dumps(body),
                           content_type="application/json", headers={"X-Order-Token": token} if needs_token else {})
    # then it is refused as malformed, in the API's error shape, and nothing is stored
    _assert_api_400(response)
    assert "surrogate" in json.dumps(response.get_json()["errors"])
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order)) == orders_before
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_an_emoji_written_as_a_surrogate_pair_is_fine(client, mag_rr):
    body = {"kind": "question", "name": "Ann \ud83d\ude00", "email": "a@example.com", "body": "Is it vegan?"}
    response = client.post("/api/v1/products/mag-rr/reviews", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("url", ["/api/v1/products?q=%ED%A0%80", "/api/v1/products?q=a%FF", "/api/v1/products?%ED%A0%80=1"])
def test_a_query_that_is_not_utf8_is_an_api_400(client, url):
    _assert_api_400(client.get(url))


@pytest.mark.parametrize("url", ["/products?q=%ED%A0%80", "/?page=%C0%AF"])
def test_a_query_that_is_not_utf8_is_a_400_page(client, url):
    response = client.get(url)
    assert response.status_code == 400 and response.mimetype == "text/html"


@pytest.mark.parametrize("raw_path, api", [("/products/\xed\xa0\x80", False), ("/api/v1/products/\xed\xa0\x80", True)])
def test_a_path_that_is_not_utf8_is_a_400(client, raw_path, api):
    # the server hands the raw bytes of the path over as latin-1, as WSGI says
    response = client.get("/", environ_overrides={"PATH_INFO": raw_path})
    assert response.status_code == 400
    if api:
        _assert_api_400(response)


@pytest.mark.parametrize("path, form", [
    ("/cart/add", "slug=%ED%A0%80&quantity=1"),
    ("/products/mag-rr/questions", "name=Ann&email=a%40example.com&body=Vegan%3F%ED%A0%80"),
    ("/orders/{order_id}/claim", "reason=%ED%A0%80"),
])
def test_a_form_that_is_not_utf8_is_a_400_page(client, delivered, path, form):
    order, _ = delivered
    response = client.post(path.format(order_id=order.id), data=form,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_a_utf8_form_still_reaches_its_view(client, mag_rr):
    response = client.post("/cart/add", data="slug=mag-rr&quantity=1&note=%C3%A9",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 303)
