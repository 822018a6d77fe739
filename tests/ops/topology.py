"""docker-compose.yml's services as local processes: their own commands and environment, with the
service host names and ports replaced by private ones on loopback.

`Topology` starts Redis (private, on a free port), the `migrate` command, gunicorn (`web`), the
Celery worker and beat, the Stripe stand-in and Caddy with deploy/Caddyfile; everything it
started is stopped by process group id at the end. The PostgreSQL database is given (a fresh
one on the machine's server).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, seconds: float, what: str):
    """Poll another process's state until it holds; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Topology:
    def __init__(self, workdir: Path, database_url: str):
        self.workdir, self.database_url = workdir, database_url
        self.services = yaml.safe_load(COMPOSE.read_text())["services"]
        self.redis_port, self.web_port, self.standin_port = free_port(), free_port(), free_port()
        self.http_port, self.https_port = free_port(), free_port()
        self.public_url = f"https://localhost:{self.https_port}"
        self.caddy_home = workdir / "caddy"
        self.ca_bundle = self.caddy_home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        self.webhook_secret = "whsec_topology_" + os.urandom(8).hex()
        self.metrics_token = os.urandom(16).hex()
        self._processes: list[tuple[str, subprocess.Popen]] = []

    # --- the environment a service gets: compose's, with addresses made local ---------------
    def environment(self, service: str) -> dict:
        env = {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(self.workdir), "LOG_FORMAT": "text"}
        for name, value in (self.services[service].get("environment") or {}).items():
            env[name] = self._local(str(value))
        env.update({  # what the operator's .env gives (compose's env_file)
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": os.urandom(32).hex(),
            "STRIPE_SECRET_KEY": "sk_test_topology",
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "STRIPE_API_BASE": f"http://127.0.0.1:{self.standin_port}",
            "PUBLIC_URL": self.public_url,
            "SHOP_INSTANCE_PATH": str(self.workdir / "instance"),
            "METRICS_TOKEN": self.metrics_token,
        })
        if "PROMETHEUS_MULTIPROC_DIR" in env:  # compose's tmpfs: empty at each start
            metrics = self.workdir / "metrics"
            shutil.rmtree(metrics, ignore_errors=True)
            metrics.mkdir()
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        return env

    def _local(self, value: str) -> str:
        value = value.replace("redis://redis:6379", f"redis://127.0.0.1:{self.redis_port}")
        value = value.replace("0.0.0.0:8000", f"127.0.0.1:{self.web_port}")
        return value.replace("/tmp/celerybeat-schedule", str(self.workdir / "celerybeat-schedule"))

    def command(self, service: str) -> list[str]:
        return [self._local(part) for part in self.services[service]["command"]]

    # --- processes ------------------------------------------------------------------------
    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self._processes.append((name, process))
        return process

    def run(self, service: str, *extra: str) -> None:
        """A one-off command in a service's environment (compose run): `migrate`, or flask CLI."""
        command = self.command(service) if not extra else [str(BIN / "flask"), "--app", "shop", *extra]
        result = subprocess.run(command, cwd=ROOT, env=self.environment(service), capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"

    def start_all(self) -> None:
        self.start("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port),
                             "--save", "", "--appendonly", "no"], {"PATH": os.environ["PATH"]})
        wait_for(lambda: port_open(self.redis_port), 15, "redis-server")
        self.run("migrate")
        self.run("migrate", "seed-demo")
        for service in ("web", "worker", "beat"):
            self.start(service, self.command(service), self.environment(service))
        self.start("caddy", ["caddy", "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], {
            "PATH": os.environ["PATH"], "HOME": str(self.caddy_home),
            "XDG_DATA_HOME": str(self.caddy_home / "data"), "XDG_CONFIG_HOME": str(self.caddy_home / "config"),
            "CADDY_ADMIN": f"127.0.0.1:{free_port()}", "CADDY_HTTP_PORT": str(self.http_port),
            "CADDY_HTTPS_PORT": str(self.https_port), "SHOP_DOMAIN": "localhost", "PUBLIC_URL": self.public_url,
            "SHOP_UPSTREAM": f"127.0.0.1:{self.web_port}",
        })
        wait_for(self.ca_bundle.exists, 30, "Caddy's local certificate authority")
        self.start("stripe", [sys.executable, "-m", "stripe_standin", "--host", "127.0.0.1",
                              "--port", str(self.standin_port), "--webhook-secret", self.webhook_secret,
                              "--webhook-url", f"{self.public_url}/api/v1/stripe/webhook"],
                   {"PATH": os.environ["PATH"], "SSL_CERT_FILE": str(self.ca_bundle)})
        wait_for(lambda: port_open(self.standin_port), 30, "the Stripe stand-in")

    def stop_all(self) -> None:
        for _name, process in reversed(self._processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # the group this object started
        for _name, process in reversed(self._processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n" + (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                         for name, _ in self._processes)
