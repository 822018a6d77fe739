"""Reactions to other domains' events: a confirmed refund cancels what is still scheduled."""
from shop.extensions import db
from shop.payments.models import REFUND_SUCCEEDED
from shop.payments.signals import refund_updated


def _on_refund_updated(refund, previous_status=None, **extra) -> None:
    if refund.status != REFUND_SUCCEEDED or previous_status == REFUND_SUCCEEDED:
        return
    from shop.followups.services import cancel_for_order
    from shop.orders.models import Order

    order = db.session.get(Order, refund.order_id)
    if order is not None:
        cancel_for_order(order, "refunded")


def connect() -> None:
    """Connect once per process (blinker keeps one receiver per function)."""
    refund_updated.connect(_on_refund_updated)
