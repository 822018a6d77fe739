"""The fulfilment desk's queue: paid orders waiting to ship, the one paid longest ago first."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.orders.models import SHIPPED, Order
from shop.orders.states import may_become
from shop.pagination import Page, paginate


def awaiting_shipment(page: int = 1, per_page: int = 50) -> Page:
    """Orders that may ship now (`orders.states`), oldest payment first, with their items
    (a fixed number of queries however long the page)."""
    query = (select(Order).where(may_become(SHIPPED)).options(selectinload(Order.items))
             .order_by(Order.paid_at, Order.id))
    return paginate(query, page, per_page)
