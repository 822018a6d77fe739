"""Browser tests: Playwright (from PyPI) driving Debian's Chromium against a real server.

The shop runs under werkzeug's `make_server` in a thread on a free port, on the test database
(a SQLite file, or the run's PostgreSQL database), talking to the Stripe stand-in over HTTP; the
stand-in delivers its signed webhooks over HTTP to that server. Screenshots of the main screens
go to test-output/screenshots/. Chromium comes from Debian (`apt-get install chromium`), never
from `playwright install`.
"""
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_client, paid_at_stripe
from tests.stripe_fixtures import STANDIN_API_KEY

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
# axe-core (Deque's accessibility engine) from the npm registry, installed for the tests only.
AXE_VERSION = "4.14.1"
AXE_DIR = Path(__file__).resolve().parents[2] / "test-output" / "axe"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path():
    """Debian's Chromium, installed here when missing and we may (root); otherwise skip."""
    if not os.path.exists(CHROMIUM):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip(f"browser tests need Chromium at {CHROMIUM}: run `apt-get install -y chromium` as root")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_script():
    """axe.min.js of AXE_VERSION, installed with npm into test-output/axe/ on first use
    (npm itself from Debian when missing and we may, as Chromium is); otherwise skip."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    manifest = script.parent / "package.json"
    if script.exists() and f'"version": "{AXE_VERSION}"' in manifest.read_text(encoding="utf-8"):
        return script
    if not shutil.which("npm"):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("accessibility tests need npm to install axe-core: run `apt-get install -y npm` as root")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "npm"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "--no-save",
                    f"axe-core@{AXE_VERSION}"], check=True, stdout=subprocess.DEVNULL)
    return script


@pytest.fixture(scope="session")
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Fail on what a person would not see: a script error or a CSP refusal on our pages.
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    # Browsers ask for /favicon.ico on their own; the shop has none, and that is fine.
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str, full_page: bool = True) -> None:
        # Chromium leaves out-of-process frames (the sandboxed email preview) out of full-page
        # captures; those screens are taken as the window shows them.
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return shoot


class LiveShop:
    def __init__(self, app, url):
        self.app, self.url = app, url


@pytest.fixture
def live_shop(make_app, stripe_standin):
    """The shop served over HTTP on a free port, paying through the stand-in."""
    server = make_server("127.0.0.1", 0, None, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = make_app(STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY=STANDIN_API_KEY,
                   STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret, PUBLIC_URL=url)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="live-shop", daemon=True)
    thread.start()
    stripe_standin.deliver_to(f"{url}/api/v1/stripe/webhook")
    yield LiveShop(app, url)
    stripe_standin.deliver_to(None)
    server.shutdown()
    thread.join(timeout=5)
