"""A running stand-in: the HTTP server, the webhook sender, and the Python API to drive it.

`StandIn` is what `python -m stripe_standin` serves and what the `stripe_standin` test
fixture yields. Its methods do what the control endpoints under `/_standin/` do over HTTP.
"""
import threading
from collections.abc import Callable

from werkzeug.serving import make_server

from stripe_standin import billing, checkout, refunds, tax
from stripe_standin.account import Account
from stripe_standin.answers import Answers
from stripe_standin.app import create_app
from stripe_standin.clock import Clock
from stripe_standin.dispatcher import Dispatcher
from stripe_standin.faults import Faults, IdempotencyKeys
from stripe_standin.webhooks import Target, signature_header

DEFAULT_WEBHOOK_SECRET = "whsec_local_standin"  # nosec B105


class StandIn:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, webhook_target: Target = None,
                 webhook_secret: str = DEFAULT_WEBHOOK_SECRET, refund_status: str = "succeeded",
                 async_delay: float | None = None, webhook_attempts: int = 4,
                 webhook_backoff: float = 1.0, webhook_timeout: float = 10.0,
                 sweep_interval: float | None = None, public_url: str | None = None,
                 state_file: str | None = None, clock: Clock | None = None):
        self.clock = clock or Clock()
        self.dispatcher = Dispatcher(webhook_secret, webhook_target, max_attempts=webhook_attempts,
                                     backoff=webhook_backoff, timeout=webhook_timeout)
        self.faults = Faults()
        self.idempotency = IdempotencyKeys(self.clock)
        self.app = create_app(self)
        self.server = make_server(host, port, self.app, threaded=True)
        self.url = f"http://{host}:{self.server.port}"
        # Pay-page links use the public address when the server binds to, say, 0.0.0.0.
        self.account = Account(self.dispatcher, base_url=(public_url or self.url).rstrip("/"),
                               refund_status=refund_status, async_delay=async_delay,
                               clock=self.clock)
        # With a state file the account outlives the process: loaded now, saved after every
        # request that may change it and when the server stops.
        self.state_file = state_file
        if state_file:
            self.account.load(state_file)
        self.sweep_interval = sweep_interval
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()

    # -- running ---------------------------------------------------------------------------
    def start(self) -> "StandIn":
        """Serve from background threads (tests); `stop()` ends them."""
        self.dispatcher.start()
        # A short poll keeps stop() quick: tests start and stop a stand-in each.
        self._spawn(lambda: self.server.serve_forever(poll_interval=0.05), "stripe-standin-http")
        if self.sweep_interval:
            self._spawn(self._sweep, "stripe-standin-expiry")
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the command line)."""
        self.dispatcher.start()
        if self.sweep_interval:
            self._spawn(self._sweep, "stripe-standin-expiry")
        try:
            self.server.serve_forever()
        finally:
            self._stopped.set()
            self.dispatcher.stop()
            self.account.close()
            self.save_state()

    def save_state(self) -> None:
        if self.state_file:
            self.account.save(self.state_file)

    def stop(self) -> None:
        self._stopped.set()
        self.server.shutdown()
        self.server.server_close()
        self.dispatcher.stop()
        self.account.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> "StandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, target: Callable, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _sweep(self) -> None:
        while not self._stopped.wait(self.sweep_interval):
            checkout.expire_due(self.account)

    # -- the customer on the hosted page, and Stripe acting on its own ----------------------
    def pay(self, session_id: str, method: str = "card", *, shipping_details: dict | None = None,
            phone: str | None = None, email: str | None = None, shipping_rate: str | None = None,
            promotion_code: str | None = None) -> dict:
        """Pay as the customer would on the page. What the session asks for and the test does
        not give is filled in: the shipping address of the session's customer if it has one,
        else a US address (Ada Lovelace, 1 Main St, Springfield, IL 62701); a phone number; the
        first shipping option. A refused code raises StripeError."""
        answers = Answers.from_body({
            "shipping_details": shipping_details, "phone": phone, "email": email,
            "shipping_rate": shipping_rate, "promotion_code": promotion_code})
        session = self.session(session_id)
        with self.account.lock:
            saved = checkout.saved_answers(self.account, session)
        return checkout.pay(self.account, session_id, method,
                            answers.or_saved(saved).with_defaults(session))

    def pay_by_bank_transfer(self, session_id: str, **answers) -> dict:
        return self.pay(session_id, "bank_transfer", **answers)

    def cancel(self, session_id: str) -> str:
        """The customer clicks Cancel: nothing changes; returns where they are sent."""
        return self.session(session_id)["cancel_url"]

    def async_succeed(self, session_id: str) -> dict:
        return checkout.settle_async(self.account, session_id, succeeded=True)

    def async_fail(self, session_id: str) -> dict:
        return checkout.settle_async(self.account, session_id, succeeded=False)

    def expire(self, session_id: str) -> dict:
        """Expire an open session as Stripe does when its time is up (no API request)."""
        return checkout.expire_session(self.account, session_id, None)

    def dashboard_refund(self, payment_intent: str | None = None, *, charge: str | None = None,
                         amount: int | None = None, reason: str | None = None,
                         metadata: dict | None = None) -> dict:
        """A refund made by staff in Stripe's dashboard, without the shop."""
        params = {"payment_intent": payment_intent, "charge": charge, "reason": reason,
                  "amount": None if amount is None else str(amount), "metadata": metadata}
        return refunds.create_refund(self.account, {k: v for k, v in params.items() if v}, None)

    def refunds_pending(self, pending: bool = True) -> None:
        """New refunds stay `pending` until settle_refund() / fail_refund()."""
        self.account.refund_status = "pending" if pending else "succeeded"

    def settle_refund(self, refund_id: str) -> dict:
        return refunds.settle_refund(self.account, refund_id, succeeded=True)

    def fail_refund(self, refund_id: str, reason: str = "expired_or_canceled_card") -> dict:
        return refunds.settle_refund(self.account, refund_id, succeeded=False,
                                     failure_reason=reason)

    def open_dispute(self, charge_or_payment_intent: str, *, amount: int | None = None,
                     reason: str = "fraudulent") -> dict:
        return refunds.open_dispute(self.account, charge_or_payment_intent, amount=amount,
                                    reason=reason)

    def advance_clock(self, seconds: float) -> int:
        """Move the stand-in's clock forward: sessions expire, idempotency keys are forgotten,
        and subscriptions whose periods end meanwhile are billed (their events queued before
        this returns). Returns how many billing steps (renewals, retries, resumptions) ran."""
        self.clock.advance(seconds)
        checkout.expire_due(self.account)
        return billing.run_due(self.account)

    # -- Stripe Billing: the customer's card -----------------------------------------------
    def decline_card(self, customer_id: str, code: str | None = "card_declined") -> None:
        """The customer's card declines from now on (`code`), or no longer (None)."""
        billing.set_declines(self.account, customer_id, code)

    def update_card(self, customer_id: str) -> dict:
        """The customer gives a new card (as in the billing portal): open invoices are paid."""
        return billing.update_card(self.account, customer_id)

    def subscription(self, sub_id: str) -> dict:
        return self.account.get("subscriptions", sub_id, "subscription")

    def invoices(self, subscription: str | None = None) -> list[dict]:
        """Invoices oldest first (of one subscription when named)."""
        with self.account.lock:
            return [self.account.expanded(i, set()) for i in self.account.invoices.values()
                    if subscription is None
                    or i["parent"]["subscription_details"]["subscription"] == subscription]

    def set_tax_rates(self, rates: list[dict]) -> list[dict]:
        """Replace Stripe Tax's table: [{"country": "US", "state": "NY", "percentage": 8.875}]."""
        table = tax.checked_rates(rates)
        with self.account.lock:
            self.account.tax_rates = table
        return self.tax_rates()

    def tax_rates(self) -> list[dict]:
        with self.account.lock:
            return [dict(rate) for rate in self.account.tax_rates]

    # -- faults ----------------------------------------------------------------------------
    def fail_next(self, count: int = 1, *, status: int = 500, path: str | None = None) -> None:
        self.faults.fail_next(count, status=status, path=path)

    def delay_next(self, count: int, seconds: float, *, path: str | None = None,
                   when: str = "before") -> None:
        self.faults.delay_next(count, seconds, path=path, when=when)

    def decline_next_refund(self, code: str = "card_declined") -> None:
        """The next refund request fails: card_declined (402), charge_already_refunded or
        insufficient_funds (400)."""
        if code not in refunds.DECLINES:
            raise ValueError(f"code is one of {sorted(refunds.DECLINES)}")
        with self.account.lock:
            self.account.refund_declines.append(code)

    # -- webhooks --------------------------------------------------------------------------
    @property
    def webhook_secret(self) -> str:
        return self.dispatcher.secret

    def deliver_to(self, target: Target) -> None:
        """Send webhooks to a URL, or to a callable taking (raw body, headers)."""
        self.dispatcher.target = target

    def deliver_to_app(self, app, path: str = "/api/v1/stripe/webhook") -> None:
        """Send webhooks into a Flask app through its test client (one per delivery: several
        may be under way at once)."""
        self.deliver_to(lambda body, headers: app.test_client().post(path, data=body,
                                                                     headers=headers))

    def configure_webhooks(self, *, attempts: int | None = None, backoff: float | None = None,
                           timeout: float | None = None, order: str | None = None,
                           workers: int | None = None, seed: int | None = None,
                           events: list[str] | None = None) -> None:
        """Retries; and, to show the endpoint copes with what Stripe allows: `order` of each
        batch ("as_sent", "reverse", "shuffle", with `seed`), `workers` delivering at once, and
        the `events` types the endpoint is enabled for (`["*"]`: all)."""
        if attempts is not None:
            self.dispatcher.max_attempts = attempts
        if backoff is not None:
            self.dispatcher.backoff = backoff
        if timeout is not None:
            self.dispatcher.timeout = timeout
        self.dispatcher.configure(order=order, workers=workers, seed=seed, events=events)

    def deliveries(self) -> list[dict]:
        return self.dispatcher.deliveries()

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[dict]:
        return self.dispatcher.wait_for(count, timeout)

    def pause_webhooks(self) -> None:
        self.dispatcher.pause()

    def resume_webhooks(self, *, drop_pending: bool = False) -> None:
        self.dispatcher.resume(drop_pending=drop_pending)

    def stop_webhooks(self) -> None:
        """Deliver nothing more: drop what is queued and wait for an attempt under way."""
        self.dispatcher.quiesce()
        self.dispatcher.target = None
        self.dispatcher.resume(drop_pending=True)

    def redeliver(self, event_id: str) -> None:
        """Send an event again (freshly signed), as the dashboard's "Resend" does."""
        self.dispatcher.send(self.account.get("events_by_id", event_id, "event"))

    def sign(self, payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
        return signature_header(payload, secret or self.webhook_secret, timestamp)

    # -- reading state ---------------------------------------------------------------------
    def events(self, type: str | None = None) -> list[dict]:
        with self.account.lock:
            return [self.account.expanded(e, set()) for e in self.account.events
                    if type is None or e["type"] == type]

    def session(self, session_id: str) -> dict:
        return self.account.get("sessions", session_id, "checkout.session")

    def payment_intent(self, intent_id: str) -> dict:
        return self.account.get("payment_intents", intent_id, "payment_intent")

    def charge(self, charge_id: str) -> dict:
        return self.account.get("charges", charge_id, "charge")

    def refund(self, refund_id: str) -> dict:
        return self.account.get("refunds", refund_id, "refund")

    def reset(self) -> None:
        """Forget every object, event, delivery, fault and idempotency key."""
        self.account.close()
        self.account.reset()
        self.dispatcher.reset()
        self.faults.reset()
        self.idempotency.reset()
        self.clock.reset()
