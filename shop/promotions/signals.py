"""Reactions to payments: a paid order that used a code counts one redemption of it."""
from shop.payments.signals import order_paid


def _on_order_paid(order, **extra) -> None:
    from shop.promotions.services import count_redemption

    count_redemption(order)


def connect() -> None:
    """Connect once per process (blinker keeps one receiver per function)."""
    order_paid.connect(_on_order_paid)
