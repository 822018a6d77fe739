import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

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
def chromium():
    """Debian's Chromium, installed when missing and we may (root); otherwise skip."""
    if not os.path.exists(CHROMIUM):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip(f"needs Chromium at {CHROMIUM}: run `apt-get install -y chromium`")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    return CHROMIUM


@pytest.fixture
def in_browser(chromium):
    """`in_browser(scenario)` runs `scenario(page)` in a fresh Chromium page and returns what it
    returns (its assertion errors too). It runs on a thread of its own: Playwright's sync API
    allows one instance per thread, and tests/browser keeps one open on the main thread for
    the whole run."""
    sync_api = pytest.importorskip("playwright.sync_api")

    def drive(scenario):
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"])
            try:
                context = browser.new_context(viewport={"width": 1000, "height": 900})
                context.set_default_timeout(10_000)
                return scenario(context.new_page())
            finally:
                browser.close()

    def run(scenario):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="standin-browser") as pool:
            return pool.submit(drive, scenario).result()

    return run
