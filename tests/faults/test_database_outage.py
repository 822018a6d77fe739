"""PostgreSQL stopped and restarted under the shop: 503 while it is away, no 500, nothing lost.

The database is a private cluster (initdb in a temporary directory, a free port), restarted with
pg_ctl; the shop is served over HTTP on loopback by werkzeug's threaded server.
"""
import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from werkzeug.serving import make_server

from shop import create_app
from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.orders.models import PAID, Order
from tests.conftest import _test_config
from tests.faults.conftest import wait_for
from tests.stripe_fixtures import STANDIN_API_KEY

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


@pytest.fixture
def served(private_database, tmp_path, stripe_standin):
    """The shop on the private database, over HTTP; yields (app, base URL)."""
    config = _test_config(private_database, tmp_path)
    config.update(TASKS_CAPTURE=[], CATALOGUE_CACHE_SECONDS=0, STRIPE_API_BASE=stripe_standin.url,
                  STRIPE_SECRET_KEY=STANDIN_API_KEY, STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret)
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        db.session.add(build_product(DEMO_PRODUCTS[0]))
        db.session.commit()
        yield app, f"http://127.0.0.1:{server.server_port}"
        stripe_standin.stop_webhooks()
        server.shutdown()
        thread.join(10)
        db.session.remove()
        db.engine.dispose()


def _checkout(base: str) -> dict:
    response = requests.post(f"{base}/api/v1/checkout", timeout=10, json={
        "email": "night@example.com", "items": [{"slug": DEMO_PRODUCTS[0]["slug"], "quantity": 1}]})
    assert response.status_code == 201, response.text
    return response.json()


class Traffic:
    """A thread reading an order and the product pages over and over, noting every answer."""

    def __init__(self, base: str, order: dict):
        self.base, self.order = base, order
        self.answers: list[tuple[float, str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        paths = [f"/api/v1/orders/{self.order['order_id']}", "/products", "/api/v1/products"]
        session = requests.Session()
        while not self._stop.is_set():
            for path in paths:
                started = time.monotonic()
                try:
                    status = session.get(self.base + path, timeout=10,
                                         headers={"X-Order-Token": self.order["order_token"]}).status_code
                except requests.RequestException:
                    status = 0
                self.answers.append((started, path, status))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(20)

    def since(self, moment: float) -> list[int]:
        return [status for started, _, status in self.answers if started >= moment]


def test_database_away_answers_503_in_the_error_shape(served, private_postgres):
    # given the shop serving, and its database stopped
    app, base = served
    assert requests.get(f"{base}/api/v1/products", timeout=10).status_code == 200
    private_postgres.stop()
    try:
        # when a customer asks for the catalogue (API and page)
        api = requests.get(f"{base}/api/v1/products", timeout=30)
        page = requests.get(f"{base}/products", timeout=30)
    finally:
        private_postgres.start()
    # then both answer 503, the API in its error shape, with a hint when to try again
    assert api.status_code == 503, api.text
    assert api.json() == {"code": 503, "status": "Service Unavailable",
                          "message": "Service temporarily unavailable", "errors": {}}
    assert api.headers["Retry-After"] == "5"
    assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]
    assert "psycopg" not in page.text and "SELECT" not in page.text
    # and once it is back, the very next requests succeed
    assert requests.get(f"{base}/api/v1/products", timeout=10).status_code == 200


def test_restarting_postgresql_under_traffic_causes_no_500(served, private_postgres, stripe_standin):
    # given an order, and traffic reading it and the catalogue
    app, base = served
    order = _checkout(base)
    with Traffic(base, order) as traffic:
        wait_for(lambda: len(traffic.answers) > 20, 10)
        # when PostgreSQL restarts under it
        private_postgres.stop()
        wait_for(lambda: False, 0.5)
        private_postgres.start()
        back = time.monotonic()
        wait_for(lambda: len(traffic.since(back)) > 30, 15)
    # then no request ever answered 500, those during the outage answered 503, and every
    # request made since the database came back succeeded
    statuses = [status for _, _, status in traffic.answers]
    assert 500 not in statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
    assert 503 in statuses
    after = traffic.since(back)
    assert len(after) > 30 and set(after) == {200}


def test_a_connection_cut_after_the_answer_is_decided_still_delivers_it(make_app, mag_rr, make_order):
    # given a paid order, and a second app whose every request ends with PostgreSQL terminating
    # its connection (as a restart does) after the view has answered, before the session closes
    order, token = make_order(mag_rr)
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    shop = make_app()

    @shop.after_request
    def cut_the_connection(response):
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert wait_for(lambda: conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar() == 0, 5)
        return response

    try:
        # when the customer reads the order twice
        answers = [shop.test_client().get(f"/api/v1/orders/{order.id}", headers={"X-Order-Token": token})
                   for _ in range(2)]
    finally:
        admin.dispose()
    # then both answers arrive as decided: the failed clean-up is no 500 (or exception)
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.get_json()["id"] == order.id for a in answers)


def test_a_webhook_while_the_database_is_down_is_refused_then_its_retry_pays_once(
        served, private_postgres, stripe_standin):
    # given a checkout, webhooks delivered over HTTP, retried 6 times from 0.5 s apart (doubling)
    app, base = served
    order = _checkout(base)
    stripe_standin.deliver_to(f"{base}/api/v1/stripe/webhook")
    stripe_standin.configure_webhooks(attempts=6, backoff=0.5, timeout=10)
    # when the customer pays while the database is down
    private_postgres.stop()
    try:
        stripe_standin.pay(order["stripe_checkout_session_id"])
        # (a payment sends four events: wait until the session's own has been refused too)
        refused = wait_for(lambda: _completed_attempted(stripe_standin) and all(
            s >= 500 for s in _answers(stripe_standin)), 20)
    finally:
        private_postgres.start()
    # then the shop refused every delivery (5xx, never 2xx: nothing was stored) ...
    assert refused, stripe_standin.deliveries()
    # ... and Stripe's retries, once the database is back, are accepted
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=30)
    completed = [d for d in stripe_standin.deliveries() if d["type"] == "checkout.session.completed"]
    assert [d["state"] for d in completed] == ["delivered"], completed
    statuses = [attempt["status"] for attempt in completed[0]["attempts"]]
    assert statuses[-1] == 200 and len(statuses) >= 2 and all(s == 503 for s in statuses[:-1]), statuses
    db.session.expire_all()
    paid = db.session.get(Order, order["order_id"])
    assert paid.status == PAID
    assert db.session.scalar(select(func.count()).select_from(EmailMessage).where(
        EmailMessage.kind == "order_confirmation")) == 1


def _completed_attempted(standin) -> bool:
    return any(d["type"] == "checkout.session.completed" and d["attempts"]
               for d in standin.deliveries())


def _answers(standin) -> list[int]:
    """Every status the shop answered to any webhook attempt so far (0 for no answer)."""
    answers = []
    for delivery in standin.deliveries():
        answers.extend(attempt.get("status") or 0 for attempt in delivery["attempts"])
    return answers
