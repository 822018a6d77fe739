"""The production topology of docker-compose.yml, without Docker: a product bought over HTTPS.

Caddy (Debian's package, with deploy/Caddyfile and a certificate from its local CA) in front of
gunicorn, the Celery worker and beat, all started with compose's own commands and environment
(SHOP_ENV=production, TRUSTED_PROXIES=1); a fresh PostgreSQL database on the machine's server,
a private Redis, and the Stripe stand-in delivering its webhooks to the proxy's https address.
"""
import os
import secrets
import shutil
import subprocess

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.ops.topology import Topology, wait_for

pytestmark = [pytest.mark.topology, pytest.mark.postgres]


@pytest.fixture(scope="module")
def caddy():
    """Debian's Caddy, installed here when missing and we may (root with apt-get); else skip."""
    if shutil.which("caddy") is None:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("the topology test needs Caddy: run `apt-get install -y caddy` as root")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "caddy"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    if shutil.which("redis-server") is None:
        pytest.skip("the topology test needs redis-server on PATH (apt-get install redis-server)")


@pytest.fixture(scope="module")
def database():
    """A fresh database on the PostgreSQL server of TEST_DATABASE_URL, dropped afterwards."""
    url = make_url(os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_topology_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="module")
def topology(caddy, database, tmp_path_factory):
    stack = Topology(tmp_path_factory.mktemp("topology"), database)
    try:
        stack.start_all()
        https = requests.Session()
        https.trust_env = False  # REQUESTS_CA_BUNDLE & co. would replace the CA below
        https.verify = str(stack.ca_bundle)
        wait_for(lambda: _answers(https, f"{stack.public_url}/readyz"), 90, "/readyz through the proxy")
        stack.https = https
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_all()


def _answers(session, url) -> bool:
    try:
        return session.get(url, timeout=20).status_code == 200
    except requests.RequestException:
        return False


def test_a_product_is_bought_over_https(topology):
    https, base = topology.https, topology.public_url
    # when a customer checks out through the proxy
    checkout = https.post(f"{base}/api/v1/checkout", json={
        "email": "buyer@example.com", "items": [{"slug": "mag-rr", "quantity": 1}]}, timeout=30)
    assert checkout.status_code == 201, checkout.text
    order = checkout.json()
    # and pays on the (stand-in's) Stripe page; Stripe then posts the webhook to the https address
    paid = https.post(f"http://127.0.0.1:{topology.standin_port}/_standin/sessions/"
                         f"{order['stripe_checkout_session_id']}/pay", json={"method": "card"}, timeout=30)
    assert paid.status_code == 200, paid.text

    # then the order is paid
    def order_status():
        answer = https.get(f"{base}/api/v1/orders/{order['order_id']}",
                           headers={"X-Order-Token": order["order_token"]}, timeout=10)
        return answer.json()["status"] == "paid"

    wait_for(order_status, 30, "the order to be paid")
    readiness = https.get(f"{base}/readyz", timeout=10)
    assert readiness.status_code == 200 and readiness.json()["status"] == "ready"
    assert "max-age=31536000" in https.get(f"{base}/healthz", timeout=10).headers["Strict-Transport-Security"]
    # and /metrics, for the token only, counts the checkout whichever gunicorn worker answers
    assert https.get(f"{base}/metrics", timeout=10).status_code == 401
    metrics = https.get(f"{base}/metrics", headers={"Authorization": f"Bearer {topology.metrics_token}"}, timeout=10)
    assert 'shop_checkouts_total{outcome="created"} 1.0' in metrics.text


def test_plain_http_to_the_proxy_is_sent_to_public_urls_https(topology):
    answer = topology.https.get(f"http://localhost:{topology.http_port}/products?q=mag", allow_redirects=False,
                                timeout=10)
    assert answer.status_code in (301, 302, 307, 308)
    assert answer.headers["Location"] == f"{topology.public_url}/products?q=mag"


@pytest.mark.parametrize("headers", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}])
def test_a_forged_host_is_never_redirected_off_site(topology, headers):
    through_proxy = [
        f"http://localhost:{topology.http_port}/cart",
        f"{topology.public_url}/cart",
        # straight to gunicorn, pretending to be the proxy that saw plain HTTP
        f"http://127.0.0.1:{topology.web_port}/cart",
    ]
    for url in through_proxy:
        try:
            answer = topology.https.get(url, headers={**headers, "X-Forwarded-Proto": "http"},
                                        allow_redirects=False, timeout=10)
        except requests.exceptions.SSLError:
            continue  # no certificate for the forged name: nothing is answered at all
        location = answer.headers.get("Location", "")
        assert "evil.example" not in location, (url, answer.status_code, location)
        if answer.is_redirect:
            assert location.startswith(topology.public_url + "/"), (url, location)
