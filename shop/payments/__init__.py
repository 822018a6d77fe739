"""Stripe: Checkout Sessions, refunds and verified webhooks. Only stripe_gateway imports stripe."""
