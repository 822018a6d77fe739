"""The one guard against open redirects (`shop.urls.local_path`) and the pages that use it."""
import pytest

from shop.urls import local_path

HOSTILE = [
    "https://evil.example/", "http://evil.example", "//evil.example/", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "http:evil.example", "https:/evil.example",
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " //evil.example",
    "/\t/evil.example", "/\r\nLocation: https://evil.example", "/\x00admin", "/\x7fadmin",
    "evil.example", "admin/claims", "?next=//evil.example", "#top", "",
]
ORIGIN = "http://shop.example/"


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_target_leads_nowhere(target):
    assert local_path(target) is None
    assert local_path(target, origin=ORIGIN) is None


def test_nothing_leads_nowhere():
    assert local_path(None) is None


@pytest.mark.parametrize("target", ["/", "/admin", "/admin/claims?status=open", "/products/mag-rr#reviews",
                                    "/admin/reviews?page=2&q=%2F%2Fevil"])
def test_a_path_of_this_shop_is_kept_as_it_is(target):
    assert local_path(target) == target


@pytest.mark.parametrize(("target", "path"), [
    ("http://shop.example/products/mag-rr?x=1#reviews", "/products/mag-rr?x=1#reviews"),
    ("http://shop.example", "/"),
    ("HTTP://SHOP.EXAMPLE:80/cart", "/cart"),
])
def test_an_absolute_address_on_the_shops_own_origin_becomes_its_path(target, path):
    assert local_path(target, origin=ORIGIN) == path
    assert local_path(target) is None  # without an origin to compare with, only paths pass


@pytest.mark.parametrize("target", [
    "https://shop.example/cart",  # another scheme
    "http://shop.example:8080/cart",  # another port
    "http://shop.example:port/cart",  # not a port at all
    "http://shop.example.evil.example/cart", "http://evil.example/shop.example",
    "http://shop.example@evil.example/cart", "http://user@shop.example/cart",
    "http://shop.example//evil.example/", "http://shop.example/\\evil.example",
])
def test_an_absolute_address_anywhere_else_leads_nowhere(target):
    assert local_path(target, origin=ORIGIN) is None


def test_the_cart_goes_back_to_the_page_it_came_from_only_on_this_shop(make_app):
    client = make_app().test_client()
    refused = {"slug": "nope", "quantity": "1"}
    # given a refused add-to-cart from a page of the shop, the visitor goes back to that page
    back = client.post("/cart/add", data=refused, headers={"Referer": "http://localhost/products?page=2"})
    assert back.status_code == 303 and back.headers["Location"] == "/products?page=2"
    # but a Referer of another site (or a trick) sends them to the cart
    for referer in ("https://evil.example/products", "http://localhost//evil.example/", "javascript:alert(1)"):
        response = client.post("/cart/add", data=refused, headers={"Referer": referer})
        assert response.headers["Location"] == "/cart", referer
