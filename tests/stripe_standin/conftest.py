import os
import shutil
import subprocess

import pytest

from tests.stripe_fixtures import *  # noqa: F401,F403  the stand-in fixtures


def line_item(name="Magnesium glycinate", unit_amount=2900, quantity=1, currency="eur"):
    return {"price_data": {"currency": currency, "unit_amount": unit_amount,
                           "product_data": {"name": name}}, "quantity": quantity}


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [line_item(quantity=2), line_item("Vitamin D3", 1500)],
        "success_url": "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart",
        "client_reference_id": "42",
        "customer_email": "ada@example.com",
        "metadata": {"order_id": "42"},
    }
    params.update(overrides)
    return params


def rate_data(name="Ground", amount=500, currency="eur", **extra):
    """A shipping rate's parameters (for /v1/shipping_rates or shipping_rate_data)."""
    return {"display_name": name, "type": "fixed_amount",
            "fixed_amount": {"amount": amount, "currency": currency}, **extra}


def promotion_code(stripe_client, code=None, *, coupon=None, **extra):
    """A promotion code (and its coupon: 10 % off once unless `coupon` says otherwise)."""
    made = stripe_client.v1.coupons.create(coupon or {"percent_off": 10, "duration": "once"})
    params = {"promotion": {"type": "coupon", "coupon": made.id}, **extra}
    if code:
        params["code"] = code
    return stripe_client.v1.promotion_codes.create(params)


def shipping_session(stripe_client, **overrides):
    """A session that ships to the US and Germany, with two rates, codes and automatic tax."""
    params = session_params(
        shipping_address_collection={"allowed_countries": ["US", "DE"]},
        shipping_options=[{"shipping_rate_data": rate_data("Ground", 500)},
                          {"shipping_rate_data": rate_data("Express", 1500)}],
        allow_promotion_codes=True, automatic_tax={"enabled": True},
        phone_number_collection={"enabled": True})
    params.update(overrides)
    return stripe_client.v1.checkout.sessions.create(params)


NEW_YORK = {"name": "Grace Hopper", "address": {"line1": "350 5th Ave", "line2": "Floor 3",
                                                "city": "New York", "state": "NY",
                                                "postal_code": "10118", "country": "US"}}
BERLIN = {"name": "Emmy Noether", "address": {"line1": "Unter den Linden 6", "city": "Berlin",
                                              "postal_code": "10117", "country": "DE"}}


# -- a real browser for the pay page (Debian's Chromium through Playwright) ----------------
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def standin_browser():
    """Headless Chromium; installed from Debian when missing and we may (root), else skip."""
    if not os.path.exists(CHROMIUM):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip(f"needs Chromium at {CHROMIUM}: run `apt-get install -y chromium`")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def standin_page(standin_browser):
    context = standin_browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
