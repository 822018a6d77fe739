"""A local stand-in for the part of Stripe's API this shop uses, so it runs and is tested offline.

The official `stripe` SDK talks to it unmodified (`STRIPE_API_BASE` points the shop at it):
Checkout Sessions (create, retrieve, list, expire, line items), Payment Intents, Charges,
Refunds (with Stripe's refundable-amount rules), Events, Shipping Rates, Coupons, Promotion
Codes, idempotency keys and Stripe's error shape, at the API version the SDK pins. Sessions may
collect a shipping address and a phone number, offer shipping options, take a promotion code
and compute tax from a configurable table (`tax`, `totals`). Stripe Billing too: Customers,
Products, recurring Prices, `mode=subscription` sessions, Subscriptions (update, pause,
cancel) and their Invoices, renewed, declined and retried as the stand-in's clock moves
(`customers`, `billing`), and a billing-portal page to replace a card. A hosted pay page completes
sessions, and every event
is POSTed to the shop's webhook signed the way Stripe signs them, from background threads,
retried with back-off, in order or (on request) reversed, shuffled and several at once.

It is a development tool, not part of the installed shop: run it from the repository root with
`python -m stripe_standin --port 12111 --webhook-url URL` (`make run` does); drive it from
tests with the `stripe_standin` fixture (tests/stripe_fixtures.py) or over HTTP under
`/_standin/`. It keeps everything in memory and accepts test-mode keys only.
"""
from stripe_standin.server import DEFAULT_WEBHOOK_SECRET, StandIn
from stripe_standin.webhooks import signature_header

__all__ = ["DEFAULT_WEBHOOK_SECRET", "StandIn", "signature_header"]
