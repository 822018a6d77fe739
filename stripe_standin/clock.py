"""The stand-in's clock: the real time, which a test may move forward.

Sessions' creation and expiry, events' `created` and the 24 hours an idempotency key is kept
all read it, so a test can show what happens a day later without waiting a day
(`StandIn.advance_clock`, `POST /_standin/clock`). Webhook signatures use the real time: the
shop checks them against its own clock.
"""
import threading
import time
from collections.abc import Callable


class Clock:
    def __init__(self, source: Callable[[], float] = time.time):
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._source() + self._offset

    def now(self) -> int:
        """Unix time in whole seconds, as Stripe's timestamps are."""
        return int(self.time())

    def advance(self, seconds: float) -> None:
        if not 0 <= seconds < 10 * 365 * 24 * 3600:  # also refuses NaN and infinity
            raise ValueError("the clock moves forward, by less than ten years")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
