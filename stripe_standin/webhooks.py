"""Signed webhook deliveries, sent from a background thread and retried with back-off.

Signing is Stripe's scheme: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" keyed with the endpoint secret>`, computed afresh for every attempt. A delivery
succeeds on a 2xx answer; anything else (another status, a refused connection, a timeout, an
exception raised by a callable target) is retried after `backoff * 2**(attempt - 1)` seconds
until `max_attempts` have been made. Deliveries never run in the API request that caused them.
"""
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_BODY_KEPT = 2000

# A target is a URL, or a callable taking (raw body, headers) and returning a status code or an
# object with `.status_code` / `.status` (a Flask test response, a requests response).
Target = str | Callable[[bytes, dict], object] | None


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    id: int
    event: dict
    payload: bytes
    state: str = "pending"  # pending → delivered | failed | skipped (no endpoint configured)
    attempts: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"id": self.id, "event_id": self.event["id"], "type": self.event["type"],
                "state": self.state, "attempts": list(self.attempts),
                "status": self.attempts[-1]["status"] if self.attempts else None}


class Dispatcher:
    def __init__(self, secret: str, target: Target = None, *, max_attempts: int = 4,
                 backoff: float = 1.0, timeout: float = 10.0):
        self.secret = secret
        self.target = target
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout = timeout
        self._log: list[Delivery] = []
        self._due: list[tuple[float, int, Delivery]] = []
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._paused = False
        self._stopping = False
        self._busy = False  # an attempt is on its way
        self._thread: threading.Thread | None = None

    # -- the queue -------------------------------------------------------------------------
    def send(self, event: dict) -> Delivery:
        """Queue one delivery of an event (a redelivery is just another send)."""
        payload = json.dumps(event, indent=2).encode()
        with self._changed:
            delivery = Delivery(next(self._ids), event, payload)
            self._log.append(delivery)
            heapq.heappush(self._due, (time.monotonic(), delivery.id, delivery))
            self._changed.notify_all()
        return delivery

    def pause(self) -> None:
        with self._changed:
            self._paused = True

    def resume(self, *, drop_pending: bool = False) -> None:
        with self._changed:
            if drop_pending:
                for _, _, delivery in self._due:
                    delivery.state = "dropped"
                self._due.clear()
            self._paused = False
            self._changed.notify_all()

    def reset(self) -> None:
        with self._changed:
            self._log.clear()
            self._due.clear()
            self._paused = False
            self._changed.notify_all()

    def deliveries(self) -> list[dict]:
        with self._changed:
            return [d.as_dict() for d in self._log]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        """Block until at least `count` deliveries are finished (delivered, failed or skipped)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(d.state != "pending" for d in self._log) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    states = [(d.event["type"], d.state) for d in self._log]
                    raise TimeoutError(f"{count} webhook deliveries not finished after "
                                       f"{timeout}s: {states}")
                self._changed.wait(left)
            return [d.as_dict() for d in self._log]

    def quiesce(self, timeout: float = 10.0) -> None:
        """Hold every delivery not yet sent and wait for the one on its way, if any."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._paused = True
            while self._busy and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())

    # -- the worker ------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-standin-webhooks",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread:
            self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        while True:
            with self._changed:
                delivery = self._next_due()
                if delivery is None:
                    return
                self._busy = True
            outcome = self._attempt(delivery)
            log.info("webhook %s %s attempt %d → %s", delivery.event["type"], delivery.event["id"],
                     len(delivery.attempts) + 1, outcome["status"] or outcome["error"])
            with self._changed:
                self._busy = False
                delivery.attempts.append(outcome)
                ok = outcome["status"] is not None and 200 <= outcome["status"] < 300
                if ok:
                    delivery.state = "delivered"
                elif outcome.get("skipped"):
                    delivery.state = "skipped"
                elif len(delivery.attempts) >= self.max_attempts:
                    delivery.state = "failed"
                else:
                    wait = self.backoff * 2 ** (len(delivery.attempts) - 1)
                    heapq.heappush(self._due, (time.monotonic() + wait, delivery.id, delivery))
                self._changed.notify_all()

    def _next_due(self) -> Delivery | None:
        """Wait (holding the condition) for the next delivery whose time has come."""
        while not self._stopping:
            if self._due and not self._paused:
                due_at = self._due[0][0]
                now = time.monotonic()
                if due_at <= now:
                    return heapq.heappop(self._due)[2]
                self._changed.wait(due_at - now)
            else:
                self._changed.wait()
        return None

    def _attempt(self, delivery: Delivery) -> dict:
        attempt = {"at": time.time(), "status": None, "body": None, "error": None}
        target = self.target
        if target is None:
            return attempt | {"skipped": True, "error": "no webhook endpoint configured"}
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": signature_header(delivery.payload, self.secret),
        }
        try:
            if callable(target):
                status, body = _call(target, delivery.payload, headers)
            else:
                status, body = self._post(target, delivery.payload, headers)
        except Exception as exc:  # noqa: BLE001 - any failure of the endpoint is a failed attempt
            attempt["error"] = "".join(traceback.format_exception_only(exc)).strip()
            attempt["traceback"] = traceback.format_exc()
            return attempt
        attempt.update(status=status, body=body[:_BODY_KEPT] if body else body)
        return attempt

    def _post(self, url: str, payload: bytes, headers: dict) -> tuple[int, str]:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook target must be an http(s) URL, not {url!r}")
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
                return response.status, response.read(_BODY_KEPT).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(_BODY_KEPT).decode("utf-8", "replace")


def _call(target: Callable, payload: bytes, headers: dict) -> tuple[int, str]:
    result = target(payload, dict(headers))
    if isinstance(result, int):
        return result, ""
    status = getattr(result, "status_code", None) or getattr(result, "status", None)
    return int(status), getattr(result, "text", "") or ""
