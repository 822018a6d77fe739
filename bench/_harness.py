"""What the benchmarks share: a fresh database, gunicorn, the Stripe stand-in and a Celery worker.

Each server runs in a process group of its own for the duration of a `with` block and is
stopped (SIGTERM, then SIGKILL) when it ends, whatever happens inside.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def instance_path() -> Path:
    """`instance/bench`: the servers' instance folder (secret key) and logs; made if missing."""
    path = ROOT / "instance" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepare_database(url: str) -> str:
    """A fresh, empty database at `url` (dropped first if it exists); returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
        ), {"name": target.database})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def wait_for(url: str, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer at {url}")


class _Process:
    """A subprocess in a session of its own, stopped with its children when the block ends."""

    command: list[str]
    env: dict
    ready_url: str | None = None
    name = "process"
    log = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True,
                                        stdout=self.log or None, stderr=self.log or None)
        if self.ready_url:
            try:
                wait_for(self.ready_url, self.name)
            except Exception:
                self.__exit__()
                raise
        return self

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class serve(_Process):
    """gunicorn with gthread workers and SO_REUSEPORT (BENCH_WORKERS, BENCH_THREADS)."""

    name = "gunicorn"

    def __init__(self, app: str, port: int, env: dict, pythonpath: str | None = None, log=None):
        workers = os.environ.get("BENCH_WORKERS", "2")
        threads = os.environ.get("BENCH_THREADS", "4")
        self.command = [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}",
                        "--worker-class", "gthread", "--workers", workers, "--threads", threads,
                        "--reuse-port", "--log-level", "warning", "--keep-alive", "30"]
        if pythonpath:
            self.command += ["--pythonpath", pythonpath]
        self.env, self.port, self.log = env, port, log
        self.ready_url = f"http://127.0.0.1:{port}/"


# --- the baseline: bare Flask, measured in the same sitting as every figure ----------------------
# The machine's speed moves by half from one day to the next, so each benchmark measures a bare
# Flask route under the same gunicorn settings around its own figures and prints them also as a
# ratio to it; the targets are ratios (bench/README.md).

def bare_flask_app():
    """The baseline: bare Flask, one route, served exactly like the shop (`serve`)."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello():
        return "Hello, World!"

    return app


def wrk_requests_per_second(url: str, seconds: int) -> float:
    """Requests per second of `url` under wrk (BENCH_CONNECTIONS connections, default 32), after a
    2 s warm-up that fills every worker's caches; any error answer fails the measurement."""
    connections = os.environ.get("BENCH_CONNECTIONS", "32")
    wrk = ["wrk", "--threads", "2", "--connections", connections, "--timeout", "5s"]
    subprocess.run([*wrk, "--duration", "2s", url], check=True, capture_output=True)
    out = subprocess.run([*wrk, "--duration", f"{seconds}s", url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    print(f"bench: {url}: {rps:.0f} req/s", flush=True)
    return rps


class BareFlask:
    """Bare Flask's requests/s in this sitting: `measure()` starts it under gunicorn with the
    benchmark's settings (BENCH_WORKERS x BENCH_THREADS gthread) on `port`, runs wrk for
    BENCH_BASELINE_SECONDS (default 10) and stops it. A script measures it before and after its own
    work; `rate` is the mean, and `ratio()`/`times()` express a figure against it."""

    def __init__(self, port: int, env: dict | None = None):
        self.port, self.env, self.rates = port, dict(env or os.environ), []

    def measure(self) -> float:
        if shutil.which("wrk") is None:
            raise SystemExit("bench: wrk is not installed (apt-get install -y wrk): the bare Flask baseline needs it")
        seconds = int(os.environ.get("BENCH_BASELINE_SECONDS", "10"))
        with serve("_harness:bare_flask_app()", self.port, self.env, pythonpath=str(ROOT / "bench")):
            rate = wrk_requests_per_second(f"http://127.0.0.1:{self.port}/", seconds)
        self.rates.append(rate)
        return rate

    def around(self, first: int, last: int) -> "BareFlask":
        """Bare Flask as measured by the `first` to `last` measurements (0-based): a figure is
        compared with the machine's speed just before and just after it, not minutes away."""
        view = BareFlask(self.port, self.env)
        view.rates = self.rates[first:last + 1]
        return view

    @property
    def rate(self) -> float:
        return sum(self.rates) / len(self.rates)

    @property
    def request_ms(self) -> float:
        """Bare Flask's time per request (1 / its requests per second), in milliseconds."""
        return 1000 / self.rate

    def ratio(self, per_second: float) -> float:
        """A rate as a share of bare Flask's requests per second."""
        return per_second / self.rate

    def times(self, milliseconds: float) -> float:
        """A duration in bare Flask's times per request."""
        return milliseconds / self.request_ms

    def describe(self) -> str:
        each = ", ".join(f"{r:.0f}" for r in self.rates)
        return (f"bare Flask {self.rate:,.0f} req/s ({each} in this sitting; "
                f"{self.request_ms:.3f} ms per request)")


class DatabaseCPU:
    """CPU seconds PostgreSQL spent for one database: the sum over the server processes connected
    to it (pg_stat_activity), read from /proc. Other databases' work on a shared server is left
    out, which counting every `postgres` process would not do. A connection closed between two
    readings takes its time with it, so keep the pools open while measuring."""

    def __init__(self, database_url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        self.name = make_url(database_url).database
        self.engine = create_engine(database_url, poolclass=NullPool)

    def by_backend(self) -> dict[int, float]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            pids = set(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :name AND "
                                         "pid <> pg_backend_pid()"), {"name": self.name}).scalars())
        return {pid: _pid_cpu(pid) for pid in pids}

    def since(self, before: dict[int, float]) -> float:
        """CPU seconds spent since `before` (a `by_backend()` reading)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in self.by_backend().items())


def _pid_cpu(pid: int) -> float:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class standin(_Process):
    """The Stripe stand-in (`python -m stripe_standin`), POSTing its events to `webhook_url`."""

    name = "Stripe stand-in"

    def __init__(self, port: int, webhook_url: str, webhook_secret: str, env: dict, log=None):
        self.command = [sys.executable, "-m", "stripe_standin", "--port", str(port),
                        "--webhook-url", webhook_url, "--webhook-secret", webhook_secret,
                        "--webhook-backoff", "0.5"]
        self.env, self.log = env, log
        self.url = f"http://127.0.0.1:{port}"
        self.ready_url = f"{self.url}/_standin/"


class worker(_Process):
    """`celery -A worker worker` reading `queue` (prefork, `concurrency` processes)."""

    name = "Celery worker"

    def __init__(self, env: dict, queue: str, concurrency: int = 2, log=None):
        self.command = [str(BIN / "celery"), "-A", "worker", "worker", "-Q", queue, "--concurrency",
                        str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat",
                        "--loglevel", "WARNING"]
        self.env, self.log = env, log


def process_group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every process of a process group (Linux /proc)."""
    return _cpu(lambda name, group: group == pgid)


def named_processes_cpu(*names: str) -> float:
    """CPU seconds used so far by every process called one of `names` (e.g. "postgres")."""
    return _cpu(lambda name, group: name in names)


def _cpu(chosen) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        if chosen(head.split("(", 1)[1], int(fields[2])):  # the command's name; field 5: the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} CPUs, shared with other processes"
