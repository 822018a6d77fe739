"""Webhook deliveries, sent from background threads and retried with back-off.

A failed attempt is retried after `backoff * 2**(attempt - 1)` seconds until `max_attempts`
have been made. Deliveries never run in the API request that caused them.

Like Stripe, the dispatcher promises no order. By default it delivers one event at a time, as
they were sent; on request (`configure(order=..., workers=...)`) it delivers each batch of
events (those one change sent together, or all those held by `pause()` when `resume()`d) in
reverse or shuffled order, and from several threads at once. `events` limits deliveries to
the types an endpoint is enabled for, as a Stripe endpoint's `enabled_events` does.
"""
import heapq
import itertools
import json
import logging
import random
import threading
import time

from stripe_standin.webhooks import Delivery, Target, deliver_once

log = logging.getLogger(__name__)
ORDERS = ("as_sent", "reverse", "shuffle")


class Dispatcher:
    def __init__(self, secret: str, target: Target = None, *, max_attempts: int = 4,
                 backoff: float = 1.0, timeout: float = 10.0):
        self.secret = secret
        self.target = target
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout = timeout
        self.order = "as_sent"
        self.workers = 1
        self.events: list[str] | None = None  # enabled event types (`*` wildcards); None: all
        self._random = random.Random()
        self._log: list[Delivery] = []
        self._due: list[tuple[float, int, Delivery]] = []  # (when, sequence, delivery)
        self._ids = itertools.count(1)
        self._sequence = itertools.count()
        self._changed = threading.Condition()
        self._paused = False
        self._stopping = False
        self._busy = 0  # attempts on their way
        self._threads: list[threading.Thread] = []

    def configure(self, *, order: str | None = None, workers: int | None = None,
                  seed: int | None = None, events: list[str] | None = None) -> None:
        """How batches are ordered, how many threads deliver, which event types go out."""
        if order is not None and order not in ORDERS:
            raise ValueError(f"order is one of {', '.join(ORDERS)}")
        if workers is not None and not 1 <= workers <= 32:
            raise ValueError("workers is between 1 and 32")
        with self._changed:
            if order is not None:
                self.order = order
            if seed is not None:
                self._random.seed(seed)
            if events is not None:
                self.events = list(events) or None
            if workers is not None:
                self.workers = workers
                self._changed.notify_all()  # threads beyond the new number leave
        if workers is not None and self._threads:
            self._spawn_workers()

    # -- the queue -------------------------------------------------------------------------
    def send(self, event: dict) -> Delivery | None:
        """Queue one delivery of an event (a redelivery is just another send)."""
        sent = self.send_all([event])
        return sent[0] if sent else None

    def send_all(self, events: list[dict]) -> list[Delivery]:
        """Queue the deliveries of events sent together, in the configured order."""
        with self._changed:
            chosen = [e for e in events if self._enabled(e["type"])]
            deliveries = [Delivery(0, e, json.dumps(e, indent=2).encode()) for e in chosen]
            for delivery in self._arranged(deliveries):
                delivery.id = next(self._ids)
                self._log.append(delivery)
                heapq.heappush(self._due, (time.monotonic(), next(self._sequence), delivery))
            self._changed.notify_all()
        return deliveries

    def _enabled(self, event_type: str) -> bool:
        return self.events is None or any(
            event_type == p or p == "*" or (p.endswith(".*") and event_type.startswith(p[:-1]))
            for p in self.events)

    def _arranged(self, deliveries: list) -> list:
        if self.order == "reverse":
            return deliveries[::-1]
        if self.order == "shuffle":
            shuffled = list(deliveries)
            self._random.shuffle(shuffled)
            return shuffled
        return deliveries

    def pause(self) -> None:
        with self._changed:
            self._paused = True

    def resume(self, *, drop_pending: bool = False) -> None:
        """Deliver what was held: as one batch, in the configured order (or drop it)."""
        with self._changed:
            if drop_pending:
                for _, _, delivery in self._due:
                    delivery.state = "dropped"
                self._due.clear()
            if self.order != "as_sent":  # what is due now goes out as one batch; retries wait
                now = time.monotonic()
                held = [entry[2] for entry in sorted(self._due) if entry[0] <= now]
                later = [entry for entry in self._due if entry[0] > now]
                self._due = later + [(now, next(self._sequence), d) for d in self._arranged(held)]
                heapq.heapify(self._due)
            self._paused = False
            self._changed.notify_all()

    def reset(self) -> None:
        with self._changed:
            self._log.clear()
            self._due.clear()
            self._paused = False
            self.order, self.events = "as_sent", None
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

    # -- the workers -----------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._spawn_workers()

    def _spawn_workers(self) -> None:
        with self._changed:
            self._threads = [t for t in self._threads if t.is_alive()]
            for index in range(len(self._threads), self.workers):
                thread = threading.Thread(target=self._run, args=(index,), daemon=True,
                                          name=f"stripe-standin-webhooks-{index}")
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 1)

    def _run(self, index: int) -> None:
        while True:
            with self._changed:
                delivery = self._next_due(index)
                if delivery is None:
                    return
                self._busy += 1
            outcome = deliver_once(delivery, self.target, self.secret, self.timeout)
            log.info("webhook %s %s attempt %d → %s", delivery.event["type"], delivery.event["id"],
                     len(delivery.attempts) + 1, outcome["status"] or outcome["error"])
            with self._changed:
                self._busy -= 1
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

    def _next_due(self, index: int) -> Delivery | None:
        """Wait (holding the condition) for the next delivery whose time has come; None: leave."""
        while not self._stopping and index < self.workers:
            if self._due and not self._paused:
                due_at = self._due[0][0]
                now = time.monotonic()
                if due_at <= now:
                    return heapq.heappop(self._due)[2]
                self._changed.wait(due_at - now)
            else:
                self._changed.wait()
        return None
