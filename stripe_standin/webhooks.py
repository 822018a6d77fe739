"""Signed webhook deliveries: Stripe's signature, one delivery and one attempt at it.

Signing is Stripe's scheme: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" keyed with the endpoint secret>`, computed afresh for every attempt. An attempt
succeeds on a 2xx answer; anything else (another status, a refused connection, a timeout, an
exception raised by a callable target) is a failure the dispatcher (`dispatcher.py`) retries.
"""
import hashlib
import hmac
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

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


def deliver_once(delivery: Delivery, target: Target, secret: str, timeout: float) -> dict:
    """POST the delivery once, signed afresh; what happened (status, body or error)."""
    attempt = {"at": time.time(), "status": None, "body": None, "error": None}
    if target is None:
        return attempt | {"skipped": True, "error": "no webhook endpoint configured"}
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": signature_header(delivery.payload, secret),
    }
    try:
        if callable(target):
            status, body = _call(target, delivery.payload, headers)
        else:
            status, body = _post(target, delivery.payload, headers, timeout)
    except Exception as exc:  # noqa: BLE001 - any failure of the endpoint is a failed attempt
        attempt["error"] = "".join(traceback.format_exception_only(exc)).strip()
        attempt["traceback"] = traceback.format_exc()
        return attempt
    attempt.update(status=status, body=body[:_BODY_KEPT] if body else body)
    return attempt


def _post(url: str, payload: bytes, headers: dict, timeout: float) -> tuple[int, str]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook target must be an http(s) URL, not {url!r}")
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            return response.status, response.read(_BODY_KEPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(_BODY_KEPT).decode("utf-8", "replace")


def _call(target: Callable, payload: bytes, headers: dict) -> tuple[int, str]:
    result = target(payload, dict(headers))
    if isinstance(result, int):
        return result, ""
    status = getattr(result, "status_code", None) or getattr(result, "status", None)
    return int(status), getattr(result, "text", "") or ""
