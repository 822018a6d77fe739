"""The money-back guarantee: claims, staff decisions, refunds through Stripe, confirmation by webhook.

Policy settings (declared in shop.config, read from the environment when the app is created):
- GUARANTEE_REFUND_SHIPPING (default true): a refund may give back what Stripe charged for
  shipping too; false keeps it out of what is refundable (`services.refundable_amount`).
- GUARANTEE_ONE_PER_EMAIL (default true): a claim from an email that claimed before is flagged
  `repeat_claimer` for staff to weigh; it is never refused for that.
- GUARANTEE_PARTIAL_REFUNDS (default true): staff may approve less than what is refundable.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    """Listen to refund updates (the policy settings are the app's config)."""
    from shop.guarantee import receivers  # noqa: F401  listens to refund_updated
