"""Request ids, JSON log lines (web and worker) and the Prometheus metrics."""
import io
import json
import logging
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update

from shop import observability
from shop.db import utcnow
from shop.emails.services import queue_email
from shop.extensions import db
from shop.followups.dispatch import dispatch_due_followups
from shop.followups.models import FollowUp
from shop.followups.services import schedule_for_order
from shop.orders.models import DELIVERED, PENDING_PAYMENT
from tests.payments.stripe_events import checkout_session, deliver, event


@pytest.fixture
def log_lines():
    """What the shop's JSON handler writes, one parsed object per line."""
    stream = io.StringIO()
    handler = observability.log_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    # Alembic's fileConfig (the migration tests) disables the loggers that existed before it.
    disabled = [logger for name, logger in logging.root.manager.loggerDict.items()
                if name.startswith(("shop", "celery")) and getattr(logger, "disabled", False)]
    for logger in disabled:
        logger.disabled = False
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in disabled:
        logger.disabled = True
    root.removeHandler(handler)
    root.setLevel(previous)


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_sane_request_id_is_kept_and_echoed(client, log_lines):
    # when
    response = client.get("/healthz", headers={"X-Request-ID": "req-42.abc"})
    # then
    assert response.headers["X-Request-ID"] == "req-42.abc"
    access = [line for line in log_lines() if line["logger"] == "shop.access"]
    assert access[-1]["request_id"] == "req-42.abc"
    assert {"time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms"} <= set(access[-1])
    assert (access[-1]["method"], access[-1]["path"], access[-1]["status"]) == ("GET", "/healthz", 200)


@pytest.mark.parametrize("supplied", ["", "has spaces", "x" * 200, "semi;colon", '"quoted"', "tab\there"])
def test_an_insane_request_id_is_replaced(client, log_lines, supplied):
    response = client.get("/healthz", headers={"X-Request-ID": supplied})
    generated = response.headers["X-Request-ID"]
    assert generated != supplied and len(generated) == 32 and generated.isalnum()
    assert log_lines()[-1]["request_id"] == generated


def test_every_line_of_a_request_carries_its_id(make_app, log_lines):
    app = make_app()

    @app.get("/_test/log")
    def logs_something():
        logging.getLogger("shop.test").warning("inside the view")
        return "ok"

    app.test_client().get("/_test/log", headers={"X-Request-ID": "trace-1"})
    lines = log_lines()
    assert {line["request_id"] for line in lines if line["logger"] in ("shop.test", "shop.access")} == {"trace-1"}
    assert any(line["message"] == "inside the view" and line["level"] == "WARNING" for line in lines)


def test_the_request_id_travels_with_a_task_into_the_worker_logs(make_app, log_lines):
    from shop.emails.tasks import send_email

    app = make_app(TASKS_CAPTURE=None)  # really publish, to the in-memory broker
    celery_app = app.extensions["celery"]
    # given: a task sent during a request
    with app.test_request_context("/"):
        app.preprocess_request()
        request_id = observability.request_id_var.get()
        sent = send_email.apply_async((123,))
        app.do_teardown_request()
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue(celery_app.conf.task_default_queue)
        headers = {}
        while headers.get("id") != sent.id:  # the in-memory broker is per process: skip others' messages
            message = queue.get(timeout=2)
            headers = dict(message.headers)
            message.ack()
    assert headers["request_id"] == request_id
    # when: the worker runs it (Celery builds task.request from the message's headers)
    send_email.push_request(**headers)
    try:
        observability.adopt_request_id(task=send_email)
        logging.getLogger("shop.emails").info("sending")
    finally:
        observability.drop_request_id(task=send_email)
        send_email.pop_request()
    # then
    line = log_lines()[-1]
    assert line["request_id"] == request_id
    assert (line["task"], line["task_id"]) == ("shop.emails.tasks.send_email", sent.id)


def test_metrics_count_requests_by_endpoint_method_and_status(client, mag_rr):
    labels = {"endpoint": "catalog.product_detail", "method": "GET", "status": "200"}
    before = _sample("shop_http_requests_total", **labels)
    latency_before = _sample("shop_http_request_duration_seconds_count", endpoint="catalog.product_detail")
    # when
    client.get("/products/mag-rr")
    page = client.get("/metrics")
    # then
    assert page.status_code == 200 and page.mimetype == "text/plain"
    assert _sample("shop_http_requests_total", **labels) == before + 1
    assert _sample("shop_http_request_duration_seconds_count", endpoint="catalog.product_detail") == latency_before + 1
    assert b"shop_http_requests_total" in page.data


def test_metrics_may_require_a_token(make_app):
    client = make_app(METRICS_TOKEN="s3cret").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_checkouts_webhooks_and_emails_are_counted(client, mag_rr, make_order, run_tasks):
    out_of_stock = _sample("shop_checkouts_total", outcome="out_of_stock")
    paid = _sample("shop_stripe_webhooks_total", type="checkout.session.completed", outcome="paid")
    duplicate = _sample("shop_stripe_webhooks_total", type="checkout.session.completed", outcome="duplicate")
    sent = _sample("shop_emails_total", outcome="sent")
    order, _ = make_order(mag_rr, status=PENDING_PAYMENT)
    mag_rr.stock = 1
    db.session.commit()
    # when
    refused = client.post("/api/v1/checkout", json={"email": "a@example.com", "items": [{"slug": "mag-rr", "quantity": 2}]})
    assert refused.status_code == 409
    completed = event("checkout.session.completed", checkout_session(order))
    deliver(client, completed)
    deliver(client, completed)
    run_tasks()
    # then
    assert _sample("shop_checkouts_total", outcome="out_of_stock") == out_of_stock + 1
    assert _sample("shop_stripe_webhooks_total", type="checkout.session.completed", outcome="paid") == paid + 1
    assert _sample("shop_stripe_webhooks_total", type="checkout.session.completed", outcome="duplicate") == duplicate + 1
    assert _sample("shop_emails_total", outcome="sent") >= sent + 1


def test_dispatch_lag_is_observed(app, mag_rr, make_order):
    order, _ = make_order(mag_rr, status=DELIVERED, delivered_at=utcnow() - timedelta(days=1))
    schedule_for_order(order)
    db.session.execute(update(FollowUp).values(due_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    count = _sample("shop_followup_dispatch_lag_seconds_count")
    total = _sample("shop_followup_dispatch_lag_seconds_sum")
    # when
    result = dispatch_due_followups()
    # then: one (the latest due step) went out, ten minutes late
    assert result.sent >= 1
    assert _sample("shop_followup_dispatch_lag_seconds_count") == count + result.sent
    assert _sample("shop_followup_dispatch_lag_seconds_sum") - total >= 600 * result.sent


def test_metrics_add_up_across_processes_in_multiprocess_mode(tmp_path):
    """Under gunicorn each worker writes its own files; /metrics in any worker sums them all."""
    import subprocess
    import sys

    script = (
        "from shop import create_app\n"
        "app = create_app({'TESTING': True, 'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite://',"
        " 'CELERY_BROKER_URL': 'memory://'})\n"
        "client = app.test_client()\n"
        "client.get('/healthz')\n"
        "import sys; sys.stdout.write(client.get('/metrics').get_data(as_text=True))\n"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    line = next(line for line in second.stdout.splitlines()
                if line.startswith("shop_http_requests_total") and 'endpoint="health.healthz"' in line)
    assert float(line.rsplit(" ", 1)[1]) == 2.0  # both processes' requests


def test_the_access_line_can_be_turned_off(make_app, log_lines):
    client = make_app(ACCESS_LOG="false").test_client()
    response = client.get("/healthz")
    assert response.headers["X-Request-ID"]  # the id is still made and echoed
    assert not [line for line in log_lines() if line["logger"] == "shop.access"]


def test_gunicorns_own_log_lines_still_name_their_process():
    # given the shop's logging set up in a gunicorn worker
    root = logging.getLogger()
    before = list(root.handlers)
    observability.configure_logging("text")
    try:
        # when gunicorn formats one of its lines ("[%(process)d] ... Worker exiting")
        record = logging.getLogger("gunicorn.error").makeRecord(
            "gunicorn.error", logging.INFO, __file__, 1, "Worker exiting (pid: %s)", (42,), None)
        line = logging.Formatter("[%(process)d] [%(levelname)s] %(message)s").format(record)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
    # then the line is written, with the process id
    assert line.endswith("[INFO] Worker exiting (pid: 42)") and "[None]" not in line
