"""The fulfilment desk's queue: paid orders waiting to ship, the one paid longest ago first."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.orders.models import SHIPPED, Order
from shop.orders.states import may_become
from shop.pagination import Cursor, KeysetPage, SortKey, keyset_page

# Read through the partial index `ix_orders_awaiting_shipment` (orders not shipped nor
# delivered, by payment time): the backlog's size, not the store's history.
OLDEST_PAYMENT = SortKey((Order.paid_at, Order.id))


def awaiting_shipment_query():
    """Orders that may ship now (`orders.states`), with their items (a statement, unordered)."""
    return select(Order).where(may_become(SHIPPED)).options(selectinload(Order.items))


def awaiting_shipment(cursor: Cursor = Cursor(), per_page: int = 50) -> KeysetPage:
    """One page of the orders that may ship now, oldest payment first, with their items (a
    fixed number of queries however long the page or the queue)."""
    return keyset_page(awaiting_shipment_query(), OLDEST_PAYMENT, cursor, per_page)
