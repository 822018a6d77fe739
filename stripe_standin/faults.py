"""Faults a test can inject into the API: errors, slow answers, and idempotent replays.

`fail_next(n)` answers the next n API requests with a 500 (the SDK retries those, and each
retry is a request); `delay_next(n, s)` holds the next n requests for s seconds, before they
run or (`when="after"`) after they ran, so a client that times out may find the work done.
Both can be limited to paths starting with a prefix, e.g. "/v1/refunds".
"""
import threading
from dataclasses import dataclass

from stripe_standin.clock import Clock
from stripe_standin.params import StripeError


@dataclass
class _Rule:
    kind: str  # "fail" | "delay"
    remaining: int
    path: str | None
    status: int = 500
    seconds: float = 0.0
    when: str = "before"


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def fail_next(self, count: int = 1, *, status: int = 500, path: str | None = None) -> None:
        with self._lock:
            self._rules.append(_Rule("fail", count, path, status=status))

    def delay_next(self, count: int, seconds: float, *, path: str | None = None,
                   when: str = "before") -> None:
        if when not in ("before", "after"):
            raise ValueError("when is 'before' or 'after'")
        with self._lock:
            self._rules.append(_Rule("delay", count, path, seconds=seconds, when=when))

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> tuple[StripeError | None, float, str]:
        """Consume the rules matching this request: (error to answer, delay seconds, when)."""
        error, seconds, when = None, 0.0, "before"
        with self._lock:
            for kind in ("fail", "delay"):
                rule = next((r for r in self._rules if r.kind == kind and r.remaining > 0
                             and (r.path is None or path.startswith(r.path))), None)
                if rule is None:
                    continue
                rule.remaining -= 1
                if kind == "fail":
                    error = _server_error(rule.status)
                else:
                    seconds, when = rule.seconds, rule.when
            self._rules = [r for r in self._rules if r.remaining > 0]
        return error, seconds, when


def _server_error(status: int) -> StripeError:
    if status == 429:
        return StripeError("Too many requests hit the API too quickly.", status=429,
                           code="rate_limit")
    return StripeError("An unknown error occurred (injected by the stand-in).", status=status,
                       type="api_error")


class IdempotencyKeys:
    """Stripe's idempotency: a key replays its first answer, for the same request only.

    Keys are scoped to the API key and kept for 24 hours (by the stand-in's clock). As at
    Stripe, an answer is saved only once the endpoint began to run: requests refused before
    (authentication, injected faults, parameters that fail validation) leave the key unused,
    so a retry with corrected parameters runs.
    """

    LIFETIME = 24 * 60 * 60
    MISMATCH = ("Keys for idempotent requests can only be used with the same parameters they "
                "were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.")

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or Clock()
        self._saved: dict[tuple[str, str], tuple[tuple, int, bytes, str, float]] = {}

    def replay(self, api_key: str, key: str, fingerprint: tuple) -> tuple[int, bytes, str] | None:
        saved = self._saved.get((api_key, key))
        if saved is None:
            return None
        if self.clock.time() - saved[4] >= self.LIFETIME:
            del self._saved[(api_key, key)]  # expired: the key is free again
            return None
        if saved[0] != fingerprint:
            raise StripeError(self.MISMATCH.format(key=key), type="idempotency_error")
        return saved[1], saved[2], saved[3]

    def save(self, api_key: str, key: str, fingerprint: tuple, status: int, body: bytes,
             request_id: str) -> None:
        self._saved[(api_key, key)] = (fingerprint, status, body, request_id, self.clock.time())

    def reset(self) -> None:
        self._saved.clear()
