"""Pytest fixtures for the local Stripe stand-in (stripe_standin).

Use them from any test package's conftest.py::

    from tests.stripe_fixtures import *  # noqa: F401,F403   (or pytest_plugins = [...])

Fixtures
--------
`stripe_standin`
    A `StandIn` serving on 127.0.0.1, on a free port, in background threads; stopped after the
    test. Webhook deliveries go nowhere (recorded as "skipped") until routed. Retries are quick:
    4 attempts, 0.05 s back-off doubling. Bank transfers settle only when told.

`stripe_app`
    The shop app (built with `make_app`, app context pushed) with `STRIPE_API_BASE` pointing at
    the stand-in and `STRIPE_WEBHOOK_SECRET` matching it; webhooks are delivered into that
    app's test client at `/api/v1/stripe/webhook`.

`stripe_client`
    An official `stripe.StripeClient` pointed at the stand-in (no retries, 5 s timeout).

`paid_at_stripe`
    A function that gives a factory order a real card payment at the stand-in: the payment
    intent, charge and card are stored on the order; that payment's webhooks are dropped (the
    factory already moved the order through payment).

The `StandIn` API (methods return Stripe-shaped dicts)
------------------------------------------------------
Where it is:       `.url` (the API base), `.webhook_secret`.
The customer:      `pay(session_id)` (card, paid at once), `pay_by_bank_transfer(session_id)`,
                   `cancel(session_id)` → cancel_url (the session stays open).
Stripe itself:     `async_succeed(session_id)`, `async_fail(session_id)`, `expire(session_id)`,
                   `dashboard_refund(payment_intent, amount=None, charge=None, reason=None,
                   metadata=None)`, `refunds_pending(True)` (new refunds stay pending) then
                   `settle_refund(refund_id)` / `fail_refund(refund_id, reason=...)`,
                   `open_dispute(charge_or_payment_intent, amount=None, reason="fraudulent")`.
Faults:            `fail_next(n, status=500, path=None)` (the SDK retries 500s: each retry is
                   one of the n), `delay_next(n, seconds, path=None, when="before"|"after")`
                   (answer late; "after" does the work first), `decline_next_refund(code=
                   "card_declined" | "charge_already_refunded" | "insufficient_funds")`.
Time:              `advance_clock(seconds)`: sessions expire, idempotency keys (kept 24 h) lapse.
Webhooks:          `deliver_to(callable_or_url)` (a callable gets `(raw_body, headers)` and
                   returns a status or a response), `deliver_to_app(app, path=...)`,
                   `deliveries()` (each: id, event_id, type, state pending/delivered/failed/
                   skipped/dropped, status, attempts), `wait_for_deliveries(n, timeout=5)`
                   (until n are finished; raises TimeoutError), `pause_webhooks()`,
                   `resume_webhooks(drop_pending=False)`, `redeliver(event_id)`,
                   `stop_webhooks()` (drop the queue, wait for an attempt under way),
                   `configure_webhooks(attempts=, backoff=, timeout=, order="as_sent" |
                   "reverse" | "shuffle", seed=, workers=, events=["charge.*", ...])`: each
                   batch (one change's events, or all those paused then resumed) reversed or
                   shuffled, several delivered at once, only the enabled event types,
                   `sign(payload, secret=None, timestamp=None)` → a Stripe-Signature header.
State:             `events(type=None)` (oldest first), `session(id)`, `payment_intent(id)`,
                   `charge(id)`, `refund(id)`, `reset()`.

A card payment sends four events (payment_intent.created, charge.succeeded,
payment_intent.succeeded, checkout.session.completed): wait for all of them with
`wait_for_deliveries(len(stripe_standin.events()))`. A charge lists its refunds only when
retrieved with `expand=["refunds"]`, as at Stripe.

Webhooks run in the shop app on another thread, in their own app context and session: after
`wait_for_deliveries()`, call `db.session.expire_all()` (or query again) before reading what
they changed.

Example::

    def test_paid_by_card(stripe_app, stripe_standin):
        response = stripe_app.test_client().post("/api/v1/checkout", json={...})
        session_id = response.json["stripe_checkout_session_id"]
        stripe_standin.pay(session_id)
        stripe_standin.wait_for_deliveries(len(stripe_standin.events()))
        ...
"""
import re

import pytest
import stripe

from stripe_standin import StandIn

STANDIN_API_KEY = "sk_test_standin"
STANDIN_WEBHOOK_SECRET = "whsec_test_standin"


@pytest.fixture
def stripe_standin():
    standin = StandIn(webhook_secret=STANDIN_WEBHOOK_SECRET, webhook_attempts=4,
                      webhook_backoff=0.05, webhook_timeout=5.0)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_app(make_app, stripe_standin):
    app = make_app(STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY=STANDIN_API_KEY,
                   STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret)
    stripe_standin.deliver_to_app(app)
    with app.app_context():
        yield app
    stripe_standin.stop_webhooks()  # nothing may reach the app once its tables are emptied


@pytest.fixture
def browser_stripe_app(make_app, stripe_standin):
    """The shop as a browser meets it (CSRF on), its Stripe calls and webhooks wired to the stand-in."""
    app = make_app(WTF_CSRF_ENABLED=True, STRIPE_API_BASE=stripe_standin.url, STRIPE_SECRET_KEY=STANDIN_API_KEY,
                   STRIPE_WEBHOOK_SECRET=stripe_standin.webhook_secret)
    stripe_standin.deliver_to_app(app)
    with app.app_context():
        yield app
    stripe_standin.resume_webhooks(drop_pending=True)
    stripe_standin.deliver_to(None)


def csrf_from(html: str) -> str:
    """The CSRF token of a page's form, as a browser would send it back."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def stripe_client(stripe_standin):
    return stripe.StripeClient(STANDIN_API_KEY, base_addresses={"api": stripe_standin.url},
                               http_client=stripe.RequestsClient(timeout=5),
                               max_network_retries=0)


@pytest.fixture
def paid_at_stripe(stripe_standin, stripe_client):
    from shop.extensions import db

    def attach(order):
        stripe_standin.pause_webhooks()
        session = stripe_client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": "http://shop.test/ok", "client_reference_id": str(order.id),
            "metadata": {"order_id": str(order.id)},
            "line_items": [{"quantity": 1, "price_data": {
                "currency": order.currency, "unit_amount": order.total, "product_data": {"name": "Order"}}}],
        })
        stripe_standin.pay(session.id)
        stripe_standin.resume_webhooks(drop_pending=True)
        intent = stripe_standin.payment_intent(stripe_standin.session(session.id)["payment_intent"])
        charge = stripe_standin.charge(intent["latest_charge"])
        order.stripe_payment_intent_id = intent["id"]
        order.stripe_charge_id = charge["id"]
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        order.card_brand, order.card_last4 = card.get("brand"), card.get("last4")
        db.session.commit()
        return order

    return attach
