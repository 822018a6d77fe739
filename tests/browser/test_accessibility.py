"""Every storefront page passes axe-core in Chromium, and the cart works on a 390 px phone.

axe-core runs inside the page (injected with Playwright's add_script_tag; the context bypasses
the shop's CSP for that one test script, which the shop itself would rightly refuse). Every
violation counts, whatever its impact.
"""
import re

import pytest
from playwright.sync_api import expect

from shop.catalog.demo import seed_demo_catalogue
from shop.extensions import db
from shop.orders.access import order_page_url

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def a11y_page(browser):
    def open_page(viewport=None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, bypass_csp=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("response", lambda r: page.problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        return page

    contexts = []
    yield open_page
    for context in contexts:
        context.close()


def violations(page, axe_script) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


def test_every_storefront_page_has_no_accessibility_violation(live_shop, a11y_page, axe_script, make_order,
                                                              screenshot):
    # given the demo store (pictures, facts, collections) and an order of its flagship
    with live_shop.app.app_context():
        seed_demo_catalogue()
        db.session.commit()
    from shop.catalog.models import Product
    from sqlalchemy import select

    product = db.session.scalar(select(Product).where(Product.slug == "mag-rr"))
    order, _ = make_order(product)
    with live_shop.app.test_request_context(base_url=live_shop.url):
        order_path = order_page_url(order, external=False)
    page = a11y_page()
    # the cart with a line in it
    page.goto(f"{live_shop.url}/products/mag-rr")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live_shop.url}/cart")
    found = {"/cart": violations(page, axe_script)}
    # when axe checks each page
    for path in ("/", "/products", "/products/mag-rr", "/products/daylight-d3-k2", "/collections/sleep",
                 "/pages/privacy", "/pages/contact", order_path):
        page.goto(live_shop.url + path)
        found[path] = violations(page, axe_script)
    screenshot(page, "shop-order-page")
    # then none has any violation, of any impact
    assert {path: problems for path, problems in found.items() if problems} == {}
    assert page.problems == []


def test_the_cart_fits_a_390_px_phone(live_shop, a11y_page, axe_script, make_product, screenshot):
    # given a product with a long name in the cart, on a phone
    make_product(slug="mag-rr", name="Mag R&R Night-Time Magnesium Formula")
    page = a11y_page(PHONE)
    page.goto(f"{live_shop.url}/products/mag-rr")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live_shop.url}/cart")
    screenshot(page, "shop-cart-phone")
    # then the Remove button is visible inside the viewport, and nothing scrolls sideways
    remove = page.get_by_role("button", name=re.compile("^Remove"))
    expect(remove).to_be_visible()
    box = remove.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # and the phone layout passes axe too
    assert violations(page, axe_script) == []


def test_storefront_pages_do_not_scroll_sideways_on_a_phone(live_shop, a11y_page):
    with live_shop.app.app_context():
        seed_demo_catalogue()
        db.session.commit()
    page = a11y_page(PHONE)
    for path in ("/", "/products", "/products/mag-rr", "/products/calm-ashwagandha", "/collections/daily",
                 "/pages/refunds"):
        page.goto(live_shop.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path


def test_admin_lists_scroll_inside_their_box_on_a_phone(live_shop, a11y_page, make_staff, make_product, screenshot):
    # given products with long names, and an admin on a phone
    for index in range(3):
        make_product(slug=f"long-{index}", name=f"An Exceptionally Long Product Name Number {index}")
    staff, _ = make_staff("admin", email="lead@example.com")
    page = a11y_page(PHONE)
    page.goto(f"{live_shop.url}/admin/login")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    # when they open the product list
    page.goto(f"{live_shop.url}/admin/products")
    screenshot(page, "admin-products-phone")
    # then the page itself does not scroll sideways: the table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    table = page.locator("main table").first
    assert table.evaluate("t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX === 'auto'")
