"""The money-back guarantee: claims, staff decisions, refunds through Stripe, confirmation by webhook.

Policy settings (environment variables of the same name; read when the app is created):
- GUARANTEE_REFUND_SHIPPING (default true): an approved claim may refund shipping too.
- GUARANTEE_ONE_PER_EMAIL (default true): a claim from an email that claimed before is flagged
  `repeat_claimer` for staff to weigh; it is never refused for that.
- GUARANTEE_PARTIAL_REFUNDS (default true): staff may approve less than what is refundable.
"""
import os

from flask import Flask

SETTINGS = {
    "GUARANTEE_REFUND_SHIPPING": True,
    "GUARANTEE_ONE_PER_EMAIL": True,
    "GUARANTEE_PARTIAL_REFUNDS": True,
}


def init_app(app: Flask) -> None:
    """Fill in the policy settings the test config or the environment did not give."""
    for name, default in SETTINGS.items():
        raw = os.environ.get(name)
        value = default if raw in (None, "") else raw.strip().lower() in {"1", "true", "yes", "on"}
        app.config.setdefault(name, value)
    from shop.guarantee import receivers  # noqa: F401  listens to refund_updated
