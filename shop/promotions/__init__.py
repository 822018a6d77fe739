"""Promotion codes customers type on Stripe Checkout's page (`allow_promotion_codes`).

Each code is kept here and exists at Stripe as a coupon (the discount) plus a promotion code
(what the customer types, with its expiry, redemption limit and first-order restriction):
Stripe checks and applies it, the shop records what Stripe charged. A code is recorded here
first and then created at Stripe (`services.push_to_stripe`); one that could not reach Stripe
yet (seed-demo runs before the stand-in in `make run`, or Stripe was down) is pushed at the
next checkout, or by `flask --app shop promotions sync`.
"""
