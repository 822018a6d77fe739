"""`python -m stripe_standin`, as `make run` starts it: its own process, posting events to
a URL, signed with the secret from the environment."""
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import stripe

from tests.stripe_standin.conftest import session_params

# The stand-in is not installed with the shop: it runs from the repository root, as make run does.
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def webhook_endpoint():
    """A plain HTTP endpoint on a free port collecting (body, Stripe-Signature)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.rfile.read(int(self.headers["Content-Length"])),
                             self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1/stripe/webhook", received
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_command_serves_the_api_and_posts_signed_events(webhook_endpoint, tmp_path):
    # given the stand-in started as make run starts it, on a free port
    url_for_hooks, received = webhook_endpoint
    log = tmp_path / "standin.log"
    env = dict(os.environ, STRIPE_WEBHOOK_SECRET="whsec_from_env")
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "stripe_standin", "--port", "0", "--webhook-url",
             url_for_hooks], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = _announced_url(log)
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url})

        # when a session is paid on the hosted page
        session = client.v1.checkout.sessions.create(session_params())
        answer = requests.post(session.url, data={"action": "card"}, allow_redirects=False,
                               timeout=5)
        deadline = time.monotonic() + 5
        while len(received) < 4 and time.monotonic() < deadline:  # another process: polled
            time.sleep(0.02)
    finally:
        process.terminate()
        process.wait(timeout=10)

    # then the payment's events arrived, signed with the secret from the environment
    assert answer.status_code == 303
    events = [stripe.Webhook.construct_event(body, signature, "whsec_from_env")
              for body, signature in received]
    [completed] = [e for e in events if e.type == "checkout.session.completed"]
    assert completed.data.object.id == session.id
    assert len(events) == 4


def test_a_state_file_keeps_payments_across_a_restart(tmp_path):
    # make run keeps the account in a file: a payment made before a restart can be refunded after
    state = tmp_path / "standin.json"

    def start(name):
        log = tmp_path / name
        with log.open("w") as output:
            process = subprocess.Popen([sys.executable, "-m", "stripe_standin", "--port", "0",
                                        "--state-file", str(state)], cwd=ROOT, stdout=output,
                                       stderr=subprocess.STDOUT)
        return process, stripe.StripeClient("sk_test_cli", base_addresses={"api": _announced_url(log)})

    # given a session paid on the hosted page, then the stand-in stopped as honcho stops it
    process, client = start("first.log")
    try:
        session = client.v1.checkout.sessions.create(session_params())
        assert requests.post(session.url, data={"action": "card"}, allow_redirects=False, timeout=5).status_code == 303
        intent = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    finally:
        process.terminate()
        process.wait(timeout=10)
    # when it starts again on the same file
    process, client = start("second.log")
    try:
        refund = client.v1.refunds.create({"payment_intent": intent}, {"idempotency_key": "claim-1"})
        reread = client.v1.checkout.sessions.retrieve(session.id)
    finally:
        process.terminate()
        process.wait(timeout=10)
    # then the payment is still there, and refundable
    assert (reread.payment_status, reread.payment_intent) == ("paid", intent)
    assert (refund.status, refund.amount) == ("succeeded", reread.amount_total)


def _announced_url(log) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        match = re.search(r"Stripe stand-in on (http://\S+),", log.read_text())
        if match:
            return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"the stand-in did not announce its address: {log.read_text()}")
