"""Operations: a request id on every request and log line, JSON logs, Prometheus metrics.

`init_observability(app)` wires it all (one call in `create_app`):
- a request id taken from a sane `X-Request-ID` or generated, echoed in the response, kept in
  a context variable so every log record of the request carries it, and sent with every Celery
  task the request enqueues (a task header) so the worker's log records of that task carry it;
- one JSON object per log line (`LOG_FORMAT=text` for plain lines in development);
- `/metrics` in Prometheus' text format, aggregated over every gunicorn worker when
  PROMETHEUS_MULTIPROC_DIR is set (prometheus-client's multiprocess mode).

The per-request cost is a clock read, a dict lookup for the labels and one log line.
"""
import contextvars
import hmac
import json
import logging
import os
import re
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REQUEST_ID_HEADER = "X-Request-ID"
# Sane ids only: a client's value ends up in every log line, so no spaces, quotes or newlines.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# (task name, task id) while a Celery task runs, for its log lines.
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("task", default=None)
access_log = logging.getLogger("shop.access")

# --- metrics (module level: one set per process, whatever the number of apps built) ----------
REQUESTS = Counter("shop_http_requests_total", "HTTP requests answered.", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "shop_http_request_duration_seconds", "Time to answer a request.", ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHECKOUTS = Counter("shop_checkouts_total", "Checkout attempts by outcome.", ["outcome"])
WEBHOOKS = Counter("shop_stripe_webhooks_total", "Verified Stripe events processed.", ["type", "outcome"])
EMAILS = Counter("shop_emails_total", "Email delivery attempts by outcome.", ["outcome"])
DISPATCH_LAG = Histogram(
    "shop_followup_dispatch_lag_seconds", "Seconds between a follow-up's due time and its dispatch.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_request_counters: dict = {}
_latency_histograms: dict = {}


def record_checkout(outcome: str) -> None:
    """created, out_of_stock or failed (Stripe refused or could not be reached)."""
    CHECKOUTS.labels(outcome=outcome).inc()


def record_webhook(event_type: str | None, outcome: str) -> None:
    # Outcomes carry no ids ("paid", "duplicate", "unknown order"...); cap them all the same.
    WEBHOOKS.labels(type=(event_type or "unknown")[:60], outcome=outcome.split(" (")[0][:40]).inc()


def record_email(outcome: str) -> None:
    EMAILS.labels(outcome=outcome).inc()


def record_dispatch_lag(seconds: float) -> None:
    DISPATCH_LAG.observe(max(0.0, seconds))


def init_observability(app: Flask) -> None:
    # First of all hooks: an answer another hook gives (a CSRF refusal, a 429) is measured too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    setting = app.config["ACCESS_LOG"]
    app.extensions["access_log"] = str(setting).lower() not in ("0", "false", "no", "off")
    if app.extensions["access_log"]:
        _quiet_development_server()
    app.teardown_request(_forget_request)
    app.add_url_rule("/metrics", "metrics", metrics_view)
    _exempt_from_limits_and_csrf(app)
    global _log_format
    _log_format = app.config["LOG_FORMAT"]
    if not app.testing:
        configure_logging(_log_format)
    _connect_celery_signals()


# --- requests ------------------------------------------------------------------------------
def _start_request() -> None:
    environ = request.environ
    environ["shop.started"] = time.perf_counter()
    supplied = environ.get("HTTP_X_REQUEST_ID", "")
    request_id = supplied if _SANE_REQUEST_ID.fullmatch(supplied) else os.urandom(16).hex()
    environ["shop.request_id_token"] = request_id_var.set(request_id)


# URL parts that are secrets wherever a route names them: signed links in emails (follow-ups,
# subscriptions, review confirmations) carry theirs as `<token>`. The log shows the route's
# placeholder instead. The order page's signed `?t=` (and any query string) is never logged:
# the line holds the path only.
SECRET_ROUTE_ARGUMENTS = frozenset({"token"})


def secret_in_path(view):
    """Mark a view whose address carries a secret under another name than `token`: the access
    log shows its route (`/account/login/<token>`) instead of the path, so logs hold no live link."""
    view.secret_in_path = True
    return view


def _logged_path(req) -> str:
    """The path; the route instead (`/subscriptions/skip/<token>`) when the path holds a secret."""
    rule = req.url_rule
    if rule is None:
        return req.path
    view = current_app.view_functions.get(req.endpoint or "")
    if getattr(view, "secret_in_path", False) or not SECRET_ROUTE_ARGUMENTS.isdisjoint(rule.arguments):
        return rule.rule
    return req.path


class _DevelopmentServerRequestLines(logging.Filter):
    """Drops the request lines of werkzeug's development server (`flask run`): they repeat the
    access line with the whole address, query string and secrets included."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.rstrip().endswith('"%s" %s %s'))


def _quiet_development_server() -> None:
    server_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DevelopmentServerRequestLines) for f in server_log.filters):
        server_log.addFilter(_DevelopmentServerRequestLines())


def _finish_request(response: Response) -> Response:
    req = request._get_current_object()  # one proxy lookup for the lot
    started = req.environ.get("shop.started")
    if started is None:  # a before_request handler before ours answered; nothing to measure
        return response
    elapsed = time.perf_counter() - started
    endpoint = req.endpoint or "unmatched"  # never the raw path: ids would explode the labels
    status = response.status_code
    method = req.method if req.method in _METHODS else "OTHER"  # clients choose methods freely
    key = (endpoint, method, status)
    counter = _request_counters.get(key)
    if counter is None:  # label lookups take a lock; keep the children we have seen
        counter = _request_counters[key] = REQUESTS.labels(endpoint, method, str(status))
    counter.inc()
    histogram = _latency_histograms.get(endpoint)
    if histogram is None:
        histogram = _latency_histograms[endpoint] = LATENCY.labels(endpoint)
    histogram.observe(elapsed)
    response.headers[REQUEST_ID_HEADER] = request_id_var.get()
    if current_app.extensions["access_log"]:
        path = _logged_path(req)
        access_log.info("%s %s %s", method, path, status, extra={
            "method": method, "path": path, "status": status, "duration_ms": round(elapsed * 1000, 2)})
    return response


def _forget_request(_exc=None) -> None:
    token = request.environ.pop("shop.request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


# --- /metrics ------------------------------------------------------------------------------
def metrics_view():
    """Prometheus' text format. With METRICS_TOKEN set, only for `Authorization: Bearer <token>`;
    without it, open in development and absent (404) in production."""
    config = current_app.config
    expected = config.get("METRICS_TOKEN")
    if expected:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(supplied.encode(), str(expected).encode()):
            return Response("metrics need the METRICS_TOKEN bearer token\n", 401, mimetype="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
    elif config.get("SHOP_ENV") == "production":
        abort(404)
    if config.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _exempt_from_limits_and_csrf(app: Flask) -> None:
    from shop.extensions import csrf, limiter

    view = app.view_functions["metrics"]
    csrf.exempt(view)
    limiter.exempt(view)


# --- logs ----------------------------------------------------------------------------------
class RequestIdFilter(logging.Filter):
    """Puts the current request id (web request or the task it enqueued) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        task = task_var.get()
        if task is not None and not hasattr(record, "task"):
            record.task, record.task_id = task
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and any extras."""

    EXTRAS = ("method", "path", "status", "duration_ms", "task", "task_id")
    _encoder = json.JSONEncoder(default=str)  # one encoder for every line (json.dumps builds one per call)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        fields = record.__dict__
        for key in self.EXTRAS:
            value = fields.get(key)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return self._encoder.encode(entry)


def log_handler(stream=None, log_format: str = "json") -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.set_name("shop")
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    return handler


def configure_logging(log_format: str = "json") -> None:
    """The root logger writes through our handler only (once per process)."""
    root = logging.getLogger()
    if any(h.get_name() == "shop" for h in root.handlers):
        return
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:  # basicConfig's; ours replaces it
            root.removeHandler(handler)
    root.addHandler(log_handler(log_format=log_format))
    root.setLevel(logging.INFO)
    # Our lines name no source file or thread: skip collecting them for every record (the logging
    # HOWTO's "Optimization" section). The process id stays: gunicorn's own lines print it.
    logging._srcfile = None
    logging.logThreads = logging.logMultiprocessing = False


# --- Celery: the request id travels with the task --------------------------------------------
_celery_connected = False
_log_format = "json"  # LOG_FORMAT of the app this process built (the worker builds one at import)


def _connect_celery_signals() -> None:
    global _celery_connected
    if _celery_connected:
        return
    from celery import signals

    signals.before_task_publish.connect(add_request_id_header, weak=False)
    signals.task_prerun.connect(adopt_request_id, weak=False)
    signals.task_postrun.connect(drop_request_id, weak=False)
    signals.setup_logging.connect(_worker_logging, weak=False)
    _celery_connected = True


def add_request_id_header(sender=None, headers=None, **_kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def task_request_id(task) -> str | None:
    context = getattr(task, "request", None)
    if context is None:
        return None
    value = getattr(context, "request_id", None) or (getattr(context, "headers", None) or {}).get("request_id")
    return value if isinstance(value, str) and _SANE_REQUEST_ID.fullmatch(value) else None


def adopt_request_id(sender=None, task=None, **_kwargs) -> None:
    # A task sent outside a request (beat, CLI) gets an id of its own, so its lines group too.
    request_id_var.set(task_request_id(task) or uuid.uuid4().hex)
    context = getattr(task, "request", None)
    task_var.set((getattr(task, "name", None) or "?", getattr(context, "id", None) or "?"))


def drop_request_id(sender=None, task=None, **_kwargs) -> None:
    request_id_var.set(None)
    task_var.set(None)


def _worker_logging(**_kwargs) -> None:
    # Connected to Celery's setup_logging: the worker logs through our handler, not Celery's.
    configure_logging(_log_format)
