"""A real worker on Redis: the request id of the request that enqueued a task is on its log lines."""
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shop.emails.models import EmailMessage
from shop.extensions import db

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.redis


@pytest.fixture
def queue():
    name = f"test-ops-{os.getpid()}-{secrets.token_hex(4)}"
    yield name
    import redis

    redis.Redis.from_url(os.environ["TEST_REDIS_URL"]).delete(name)


@pytest.fixture
def web(make_app, queue):
    app = make_app(CELERY_BROKER_URL=os.environ["TEST_REDIS_URL"], CELERY_QUEUE=queue, TASKS_CAPTURE=None)
    with app.app_context():
        yield app


@pytest.fixture
def worker_log(web, queue, tmp_path):
    env = {**os.environ, "DATABASE_URL": web.config["SQLALCHEMY_DATABASE_URI"],
           "CELERY_BROKER_URL": os.environ["TEST_REDIS_URL"], "CELERY_QUEUE": queue,
           "SECRET_KEY": web.config["SECRET_KEY"], "SHOP_INSTANCE_PATH": str(tmp_path), "LOG_FORMAT": "json"}
    env.pop("MAIL_SERVER", None)
    path = tmp_path / "worker.log"
    with open(path, "w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "worker", "worker", "-Q", queue, "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield path
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _json_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            continue  # Celery's start-up banner is printed, not logged
    return lines


def test_a_task_logs_with_the_request_id_of_the_request_that_sent_it(web, worker_log):
    message = EmailMessage(to="a@example.com", kind="order_confirmation", subject="s", body_text="b", body_html="b")
    db.session.add(message)
    db.session.commit()

    @web.post("/_test/send")
    def send():
        from shop.emails.tasks import send_email

        send_email.apply_async((message.id,))
        return "queued"

    # when
    response = web.test_client().post("/_test/send", headers={"X-Request-ID": "trace-worker-1"})
    # then
    assert response.status_code == 200
    deadline = time.monotonic() + 60
    mine = []
    while time.monotonic() < deadline and not any("succeeded" in line["message"] for line in mine):
        time.sleep(0.2)
        mine = [line for line in _json_lines(worker_log) if line.get("request_id") == "trace-worker-1"]
    assert any("succeeded" in line["message"] for line in mine), worker_log.read_text()[-3000:]
    assert all(line["task"] == "shop.emails.tasks.send_email" for line in mine)
