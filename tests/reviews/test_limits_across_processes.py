"""Every limit holds across the web processes of one deployment, without Redis (the embedded default).

Two real gunicorn servers share the test database (a SQLite file, or PostgreSQL with
TEST_DATABASE_URL) and nothing else; requests alternate between them.
"""
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

from shop.extensions import db

STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stdout.read()}")
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)  # polling a port that is not open yet: nothing to wait on instead
    raise TimeoutError(f"{base} did not answer within {STARTUP_SECONDS}s")


@contextmanager
def web_processes(count: int, database_url: str, instance_path, **settings):
    """`count` gunicorn servers (one worker each) on one database, no Redis; yields their URLs."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED")}
    env.update(DATABASE_URL=database_url, SHOP_INSTANCE_PATH=str(instance_path), CELERY_BROKER_URL="memory://",
               **settings)
    processes, bases = [], []
    try:
        for _ in range(count):
            port = _free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "shop:create_app()"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes):
            _wait_until_up(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def test_the_ip_limit_holds_across_two_gunicorn_processes_without_redis(app, make_product, tmp_path):
    # given a product in the shared database, and two web processes limited to 3 posts an hour per IP
    make_product(slug="mag-rr")
    db.session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with web_processes(2, url, tmp_path, REVIEWS_RATE_LIMIT_IP="3/hour",
                       REVIEWS_RATE_LIMIT_EMAIL="100/hour") as (first, second):
        # when one client posts four questions, its requests alternating between the processes
        statuses = [
            requests.post(f"{base}/api/v1/products/mag-rr/reviews", timeout=10, json={
                "kind": "question", "name": "Ann", "email": f"ann{n}@example.com", "body": f"Question {n}?"}
            ).status_code
            for n, base in enumerate([first, second, first, second, first])
        ]
    # then the limit counts them together: the fourth and fifth are refused, whichever process answers
    assert statuses == [201, 201, 201, 429, 429]


def test_the_database_storage_counts_one_window_per_key_and_starts_again_after_it(app):
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    # given the database storage over the app's own database
    storage = storage_from_string("database+" + app.config["SQLALCHEMY_DATABASE_URI"])
    limiter = FixedWindowRateLimiter(storage)
    hourly = parse("2/hour")
    # when a key is hit three times, and another key once
    assert [limiter.hit(hourly, "checkout", "203.0.113.7") for _ in range(3)] == [True, True, False]
    assert limiter.hit(hourly, "checkout", "198.51.100.2")
    # then the window's stats say so
    assert limiter.get_window_stats(hourly, "checkout", "203.0.113.7").remaining == 0
    # and a window that is over counts from zero again
    assert storage.incr("over", 0) == 1 and storage.incr("over", 0) == 1
    assert storage.get("over") == 0
    storage.reset()
