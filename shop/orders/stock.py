"""Stock held by orders: reserved when checkout starts, released when an unpaid order ends.

Both are single UPDATE statements on the product row, so two checkouts can never both take
the last unit: `stock >= :quantity` is checked by the database under the row's write lock, and
the CHECK constraint `stock >= 0` stands behind it. Rows are touched in primary-key order, so
two orders for the same products lock them in the same order and never deadlock. The catalogue
cache is told only of changes the storefront shows (`_shows_difference`).
"""
from collections.abc import Iterable

from sqlalchemy import bindparam, update
from sqlalchemy.orm.util import identity_key

from shop.cart.services import buyable
from shop.catalog.models import Product
from shop.extensions import db
from shop.orders.models import Order


class OutOfStock(Exception):
    """`product_id` cannot cover the quantity asked for; the caller rolls back."""

    def __init__(self, product_id: int):
        super().__init__(product_id)
        self.product_id = product_id


def reserve(quantities: dict[int, int]) -> None:
    """Take `{product_id: quantity}` out of stock, all or nothing (the caller rolls back on OutOfStock)."""
    visible = False
    for product_id in sorted(quantities):
        quantity = quantities[product_id]
        left = _move(product_id, -quantity)
        if left is None:
            raise OutOfStock(product_id)
        visible = visible or _shows_difference(left + quantity, left)
    _stock_changed(quantities, visible)


def release(order: Order) -> bool:
    """Give an order's reserved units back to stock, once (False when nothing was held)."""
    if not order.stock_reserved:
        return False
    quantities = _quantities(order.items)
    visible = False
    for product_id in sorted(quantities):
        now = _move(product_id, quantities[product_id])
        visible = visible or (now is not None and _shows_difference(now - quantities[product_id], now))
    order.stock_reserved = False
    _stock_changed(quantities, visible)
    return True


# Built once, on the table (Core, not the ORM's bulk UPDATE), with bound parameters; marked
# `catalogue_unchanged`: the caller tells the catalogue cache itself, and only of what the
# storefront shows (`_stock_changed`). The column's `onupdate` still stamps `updated_at`.
_PRODUCTS = Product.__table__
_MOVE = (update(_PRODUCTS).where(_PRODUCTS.c.id == bindparam("product_id"))
         .values(stock=_PRODUCTS.c.stock + bindparam("change")).returning(_PRODUCTS.c.stock)
         .execution_options(catalogue_unchanged=True))
_TAKE = _MOVE.where(_PRODUCTS.c.stock >= bindparam("needed"))


def _move(product_id: int, change: int) -> int | None:
    """Add `change` to a product's stock; its new stock, None if no row moved (a removal of
    more than the stock holds moves nothing)."""
    if change < 0:
        return db.session.execute(_TAKE, {"product_id": product_id, "change": change, "needed": -change}).scalar()
    return db.session.execute(_MOVE, {"product_id": product_id, "change": change}).scalar()


def _shows_difference(before: int, after: int) -> bool:
    """Whether the storefront shows the move: in stock or not, and what the buy box offers."""
    return buyable(before) != buyable(after)


def _quantities(items: Iterable) -> dict[int, int]:
    totals: dict[int, int] = {}
    for item in items:
        totals[item.product_id] = totals.get(item.product_id, 0) + item.bottles
    return totals


def _stock_changed(quantities: dict[int, int], visible: bool) -> None:
    """The UPDATEs bypass the ORM: expire loaded products; drop the catalogue cache when the
    storefront would show the change (selling the 401st of 500 units changes nothing it shows,
    so every checkout does not empty every process's cache)."""
    for product_id in quantities:
        product = db.session.identity_map.get(identity_key(Product, product_id))
        if product is not None:
            db.session.expire(product, ["stock"])
    if not visible:
        return
    try:
        from shop.catalog.cache import invalidate_catalogue
    except ImportError:  # the catalogue cache is optional; without it there is nothing to drop
        return
    invalidate_catalogue()
