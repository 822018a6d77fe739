"""Ship and deliver orders. Services flush; the request commits; emails leave after commit."""
from datetime import UTC, datetime

from shop.db import as_utc, utcnow
from shop.emails.services import queue_email
from shop.errors import NotFound, Unprocessable
from shop.followups.services import schedule_for_order
from shop.fulfilment.tracking import tracking_url
from shop.orders.models import DELIVERED, SHIPPED, Order
from shop.orders.services import lock_order
from shop.orders.states import transition


def _locked(order_id: int) -> Order:
    order = lock_order(order_id)
    if order is None:
        raise NotFound("Order not found")
    return order


def ship_order(order_id: int, *, carrier: str, tracking_number: str, actor: str) -> Order:
    """Mark a paid order shipped and email the customer the carrier and tracking number, once."""
    order = _locked(order_id)
    transition(order, SHIPPED, actor=actor, message=f"{carrier} {tracking_number}",
               data={"carrier": carrier, "tracking_number": tracking_number})
    order.carrier = carrier
    order.tracking_number = tracking_number
    queue_email("order_shipped", order.email, order_id=order.id, dedupe_key=f"order_shipped:{order.id}",
                context={"order": order, "carrier": carrier, "tracking_number": tracking_number,
                         "tracking_url": tracking_url(carrier, tracking_number)})
    return order


def deliver_order(order_id: int, *, delivered_at: datetime | None, actor: str,
                  now: datetime | None = None) -> Order:
    """Mark the order delivered at `delivered_at` (default now) and schedule its follow-ups.

    Any past time is accepted, even before payment or shipping (carriers report late; staff
    back-fill orders from an older system): the plan simply starts then, and what is already
    overdue goes out as one catch-up email. A future time is refused.
    """
    now = as_utc(now) or utcnow()
    if delivered_at is not None:
        delivered_at = delivered_at.replace(tzinfo=UTC) if delivered_at.tzinfo is None else delivered_at
        delivered_at = delivered_at.astimezone(UTC)
        if delivered_at > now:
            raise Unprocessable(errors={"delivered_at": ["Delivery time cannot be in the future"]})
    order = _locked(order_id)
    transition(order, DELIVERED, actor=actor, at=delivered_at or now)
    schedule_for_order(order)
    return order
