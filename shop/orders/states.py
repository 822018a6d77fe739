"""The order state machine: the only place an order's status changes."""
from datetime import datetime

from sqlalchemy import ColumnElement, and_, insert, inspect
from sqlalchemy.orm import object_session

from shop.db import utcnow
from shop.errors import Conflict
from shop.orders.models import (
    CANCELLED,
    DELIVERED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING_PAYMENT,
    REFUNDED,
    SHIPPED,
    Order,
    OrderEvent,
)

# Which statuses each status may move to. Refunds may arrive at any point after payment. Staff
# may cancel a paid order until it ships (`shop.payments.staff_refunds.cancel_order`), and an
# order partly refunded before it left (a goodwill refund of the shipping) still ships.
TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({PAID, CANCELLED}),
    PAID: frozenset({SHIPPED, DELIVERED, PARTIALLY_REFUNDED, REFUNDED, CANCELLED}),
    SHIPPED: frozenset({DELIVERED, PARTIALLY_REFUNDED, REFUNDED}),
    DELIVERED: frozenset({PARTIALLY_REFUNDED, REFUNDED}),
    PARTIALLY_REFUNDED: frozenset({PARTIALLY_REFUNDED, REFUNDED, SHIPPED, DELIVERED, CANCELLED}),
    REFUNDED: frozenset(),
    CANCELLED: frozenset(),
}

# Fulfilment moves forward only: what has been shipped (or delivered) is not shipped again nor
# cancelled, whichever status the refunds have given the order meanwhile.
_NOT_AFTER = {SHIPPED: ("shipped_at", "delivered_at"), DELIVERED: ("delivered_at",),
              CANCELLED: ("shipped_at", "delivered_at")}

# A refund Stripe fails after it had succeeded gives the money back to the store: the order
# returns to a status with less refunded, or to where its fulfilment stands (`fulfilment_status`).
REFUND_REVERSALS: dict[str, frozenset[str]] = {
    PARTIALLY_REFUNDED: frozenset({PAID, SHIPPED, DELIVERED}),
    REFUNDED: frozenset({PAID, SHIPPED, DELIVERED, PARTIALLY_REFUNDED}),
}

_INSERT_EVENT = insert(OrderEvent.__table__)

# The timestamp each status sets when it is reached.
STAMPS = {PAID: "paid_at", SHIPPED: "shipped_at", DELIVERED: "delivered_at", CANCELLED: "cancelled_at"}


class InvalidOrderTransition(Conflict):
    """An impossible jump (a double payment, shipping a cancelled order, ...)."""


def can_transition(order: Order, new_status: str) -> bool:
    if new_status not in TRANSITIONS[order.status]:
        return False
    return all(getattr(order, stamp) is None for stamp in _NOT_AFTER.get(new_status, ()))


def may_become(new_status: str) -> ColumnElement[bool]:
    """`can_transition(order, new_status)` as a SQL condition, for lists of orders (the
    fulfilment queue: those that may ship)."""
    sources = [status for status, targets in TRANSITIONS.items() if new_status in targets]
    stamps = [getattr(Order, stamp).is_(None) for stamp in _NOT_AFTER.get(new_status, ())]
    return and_(Order.status.in_(sources), *stamps)


def fulfilment_status(order: Order) -> str:
    """Where a paid order stands, refunds aside: delivered, shipped or paid."""
    if order.delivered_at is not None:
        return DELIVERED
    if order.shipped_at is not None:
        return SHIPPED
    return PAID


def transition(
    order: Order,
    new_status: str,
    *,
    actor: str,
    message: str = "",
    at: datetime | None = None,
    data: dict | None = None,
    refund_reversed: bool = False,
) -> None:
    """Move `order` to `new_status`, stamp the time, and write it to the timeline.

    Raises InvalidOrderTransition for a jump the pipeline does not allow. `refund_reversed`: a
    refund failed after it had succeeded, and the order steps back (REFUND_REVERSALS); a status
    reached again keeps its first timestamp. The caller holds the order's row lock and owns the
    transaction.
    """
    if refund_reversed:
        allowed = new_status in REFUND_REVERSALS.get(order.status, frozenset())
    else:
        allowed = can_transition(order, new_status)
    if not allowed:
        raise InvalidOrderTransition(f"Order {order.id} cannot go from {order.status} to {new_status}")
    previous = order.status
    order.status = new_status
    stamp = STAMPS.get(new_status)
    if stamp and not refund_reversed:
        setattr(order, stamp, at or utcnow())
    record_event(order, actor=actor, kind="status", message=message, data=data,
                 from_status=previous, to_status=new_status)


def record_event(
    order: Order,
    *,
    actor: str,
    kind: str,
    message: str = "",
    data: dict | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    """Add an entry to the order's timeline.

    An order already in the database whose timeline this session has not loaded gets its entry
    by one INSERT at once, without loading the timeline or the unit of work's bookkeeping
    (0.4 ms of CPU a webhook saves); the timeline, read later, shows it. Otherwise (a new order,
    a timeline already loaded) the entry joins the collection, so what is loaded shows it too.
    """
    entry = {"actor": actor, "kind": kind, "message": message, "data": data,
             "from_status": from_status, "to_status": to_status}
    session = object_session(order)
    if session is not None and inspect(order).persistent and "events" not in order.__dict__:
        session.execute(_INSERT_EVENT, {"order_id": order.id, **entry})
    else:
        order.events.append(OrderEvent(**entry))
