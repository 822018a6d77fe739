"""Real processes on loopback for the fault tests: Redis, a Celery worker, PostgreSQL, SMTP.

Each is private to the test (a free port, a temporary directory), so a test may kill, stop and
restart it without disturbing anyone else. The machine's shared PostgreSQL and Redis are
never restarted. A missing tool skips the test with the reason.
"""
import asyncio
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.smtp_server import Inbox, SmtpServer
from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_app, stripe_client

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, seconds: float = 30, interval: float = 0.1) -> bool:
    """Wait for another process; returns as soon as the condition holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- Redis ------------------------------------------------------------------------------------

class PrivateRedis:
    """redis-server on a free port, without persistence: `stop()` loses nothing we rely on."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: _port_open(self.port), 10), "redis-server did not start"

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH (apt-get install redis-server)")
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


# --- SMTP -------------------------------------------------------------------------------------

class SlowInbox(Inbox):
    """Takes `delay` seconds before it accepts each message, so a batch takes a while."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp():
    server = SmtpServer()
    server.inbox = SlowInbox(delay=0.2)
    server.start()
    yield server
    server.stop()


# --- the Celery worker ------------------------------------------------------------------------

class Worker:
    """`celery -A worker worker` in a subprocess, on the test database and a private broker."""

    def __init__(self, env: dict, queue: str, log_path: Path):
        self.env, self.queue, self.log_path = env, queue, log_path
        self.process = None

    def command(self) -> list[str]:
        return [str(BIN / "celery"), "-A", "worker", "worker", "-Q", self.queue, "--pool", "solo",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]

    def start(self):
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self):
        """kill -9: no shutdown, no acknowledgement, nothing handed back to the broker."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text()[-4000:]


class Beat(Worker):
    """`celery -A worker beat`: the periodic tasks (the email sweep every EMAIL_SWEEP_SECONDS)."""

    def command(self) -> list[str]:
        return [str(BIN / "celery"), "-A", "worker", "beat", "--loglevel", "INFO",
                "-s", str(self.log_path.with_suffix(".schedule"))]


@pytest.fixture
def make_worker(tmp_path):
    """Factory: a Worker (or with `beat=True` the Beat) for an app (its database, broker, queue
    and mail settings)."""
    workers = []

    def make(app, beat: bool = False, **extra_env) -> Worker:
        config = app.config
        env = {
            **os.environ,
            "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "CELERY_BROKER_URL": config["CELERY_BROKER_URL"],
            "CELERY_QUEUE": config["CELERY_QUEUE"],
            "MAIL_SERVER": config.get("MAIL_SERVER") or "",
            "MAIL_PORT": str(config.get("MAIL_PORT") or 25),
            "MAIL_TIMEOUT": "2",
            **{key: str(config[key]) for key in (
                "EMAIL_CLAIM_LEASE_SECONDS", "EMAIL_SWEEP_SECONDS", "EMAIL_RETRY_BACKOFF_SECONDS")},
            "MAIL_DEFAULT_SENDER": config["MAIL_DEFAULT_SENDER"],
            "SECRET_KEY": config["SECRET_KEY"],
            "PUBLIC_URL": config["PUBLIC_URL"],
            "SHOP_INSTANCE_PATH": str(tmp_path),
            **{key: str(value) for key, value in extra_env.items()},
        }
        kind = Beat if beat else Worker
        worker = kind(env, config["CELERY_QUEUE"], tmp_path / f"{kind.__name__.lower()}{len(workers)}.log")
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


@pytest.fixture
def queue():
    return f"faults-{os.getpid()}-{secrets.token_hex(4)}"


# --- PostgreSQL -------------------------------------------------------------------------------

class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb into a temporary directory, as the postgres user)."""

    def __init__(self, bindir: str, datadir: str):
        self.bindir, self.datadir = bindir, datadir
        self.port = free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, *args: str, check: bool = True):
        command = " ".join([f"{self.bindir}/{args[0]}", *args[1:]])
        return subprocess.run(["su", "postgres", "-c", command], check=check, capture_output=True, text=True,
                              timeout=60)

    def init(self):
        self._as_postgres("initdb", "-D", self.datadir, "--auth=trust", "-U", "postgres", "--no-sync")

    def start(self):
        options = (f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._as_postgres("pg_ctl", "-D", self.datadir, "-l", f"{self.datadir}/log", "-w",
                          "-o", f"'{options}'", "start")

    def stop(self):
        self._as_postgres("pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop", check=False)


@pytest.fixture(scope="session")
def private_postgres():
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries or shutil.which("su") is None or os.geteuid() != 0:
        pytest.skip("needs PostgreSQL's initdb and root (to run it as the postgres user via su)")
    datadir = tempfile.mkdtemp(prefix="shop-faults-pg-")
    shutil.chown(datadir, "postgres", "postgres")
    server = PrivatePostgres(os.path.dirname(binaries[-1]), datadir)
    server.init()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture
def private_database(private_postgres):
    """A fresh database with the schema in the private cluster; returns its URL."""
    from sqlalchemy import create_engine, text

    from shop.db import Base
    import shop.models  # noqa: F401  every table

    name = f"faults_{secrets.token_hex(4)}"
    admin = create_engine(private_postgres.url(), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(private_postgres.url(name))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield private_postgres.url(name)
    if not _port_open(private_postgres.port):
        private_postgres.start()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- counting mail where it arrives -------------------------------------------------------------

def arrivals(smtp) -> tuple[Counter, Counter]:
    """How many times each message arrived at the SMTP server: by Message-ID, and by recipient
    and subject (a resend under a new Message-ID would show only in the second)."""
    messages = list(smtp.messages)
    return (Counter(m["Message-ID"] for m in messages),
            Counter((m["To"], m["Subject"]) for m in messages))


def arrived_once_each(smtp, rows) -> bool:
    """Every logged email arrived, under its own Message-ID, and nothing arrived twice."""
    by_id, by_recipient = arrivals(smtp)
    return (set(by_id) == {r.message_id for r in rows} and set(by_id.values()) == {1}
            and len(by_recipient) == len(rows) and set(by_recipient.values()) == {1})
