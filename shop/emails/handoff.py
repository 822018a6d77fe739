"""Queued emails reach the worker in batches: one task per moment of a process, not one per email.

A request that queues an email (an order's confirmation, from Stripe's webhook) hands the row's
id to the worker once its transaction commits. One broker publish per email cost the web worker
a sixth of its CPU under a burst of webhooks; so the id joins its process's hand-off instead, and
a thread of the process sends what gathered within WINDOW_SECONDS as one task: `send_email` for
one email (the idle case: 50 ms later than before), `send_emails` for more, at most BATCH ids each.
That task carries the request id of the first email in it, so its log lines group with the
request that queued it.

Nothing is lost with the process: the row is `queued` with a lease (`claimed_until`) before the
id is handed over, so an id that a killed process never sent, or that a broker that was down
never took, goes out with the sweep (`sweeper.resend_stranded`) when the lease lapses. A process
that exits normally sends what it holds on the way out.
"""
import atexit
import contextvars
import logging
import os
import threading
import time
import weakref

from celery import Celery

from shop.observability import request_id_var

log = logging.getLogger(__name__)

WINDOW_SECONDS = 0.05
BATCH = 100
IDLE_SECONDS = 30  # the thread ends after this long without an email; the next one starts it again

_live: "weakref.WeakSet[HandOff]" = weakref.WeakSet()


class HandOff:
    """The ids of one process's committed emails, on their way to the worker of `celery_app`."""

    def __init__(self, celery_app: Celery, window: float = WINDOW_SECONDS, batch: int = BATCH):
        self._celery, self._window, self._batch = celery_app, window, batch
        self.reset()
        _live.add(self)

    def reset(self) -> None:
        """Empty, with no thread: a new object's state, and a forked child's (its parent sends
        what it held; the child's copy of the lock may be held by a thread it does not have)."""
        self._lock = threading.Lock()
        self._due = threading.Event()
        self._pending: list[tuple[int, str | None]] = []
        self._thread: threading.Thread | None = None

    def add(self, email_id: int) -> None:
        """Send `email_id` with whatever else arrives within the window."""
        with self._lock:
            self._pending.append((email_id, request_id_var.get()))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="email-handoff", daemon=True)
                self._thread.start()
            self._due.set()

    def _run(self) -> None:
        while True:
            if not self._due.wait(IDLE_SECONDS):
                with self._lock:
                    if not self._due.is_set():
                        self._thread = None
                        return
                continue
            time.sleep(self._window)  # let the rest of the moment's emails join
            self.flush()

    def flush(self) -> int:
        """Send every id held now; how many tasks that took."""
        with self._lock:
            pending, self._pending = self._pending, []
            self._due.clear()
        batches = [pending[start:start + self._batch] for start in range(0, len(pending), self._batch)]
        for batch in batches:
            contextvars.copy_context().run(self._send, batch)
        return len(batches)

    def _send(self, batch: list[tuple[int, str | None]]) -> None:
        """One task for `batch`, under the request id of its first email. A broker that is down
        must not take the thread with it: the rows wait for the sweep."""
        request_id_var.set(batch[0][1])
        ids = [email_id for email_id, _ in batch]
        try:
            if len(ids) == 1:
                self._celery.send_task("shop.emails.tasks.send_email", (ids[0],))
            else:
                self._celery.send_task("shop.emails.tasks.send_emails", (ids,))
        except Exception:  # noqa: BLE001 - kombu/redis errors vary by transport; the sweep recovers
            log.exception("Broker unreachable: %d email(s) left for the sweep: %s", len(ids), ids[:20])


def _forget_all_in_child() -> None:
    for handoff in list(_live):
        handoff.reset()


@atexit.register
def _flush_all() -> None:
    for handoff in list(_live):
        handoff.flush()


os.register_at_fork(after_in_child=_forget_all_in_child)
