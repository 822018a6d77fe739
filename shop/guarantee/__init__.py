"""The money-back guarantee: claims, staff decisions, refunds through Stripe."""
