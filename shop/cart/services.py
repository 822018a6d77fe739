"""The session cart: {slug: quantity}, checked against the catalogue whenever it is read.

Nothing is reserved until checkout; the cart only remembers intentions, so it lives in the
signed session cookie and never writes to the database.
"""
from dataclasses import dataclass

from flask import session
from sqlalchemy import select

from shop.catalog.models import Product
from shop.errors import Unprocessable
from shop.extensions import db
from shop.money import DEFAULT_CURRENCY

SESSION_KEY = "cart"
MAX_LINES = 20  # as many as one checkout takes
MAX_QUANTITY = 99  # of one product, in a cart and in an order (the checkout API takes these two)


def buyable(stock: int) -> int:
    """How many of a product one order can take at this stock: what the buy box offers, 0 when
    it is out of stock. Stock moves that leave this alone are invisible to the storefront."""
    return max(0, min(MAX_QUANTITY, stock))


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def line_total(self) -> int:
        return self.product.price * self.quantity


def quantities() -> dict[str, int]:
    raw = session.get(SESSION_KEY) or {}
    if not isinstance(raw, dict):
        return {}
    return {str(slug): int(qty) for slug, qty in raw.items() if isinstance(qty, int) and qty > 0}


def add(slug: str, quantity: int) -> Product:
    """Put `quantity` more of a published product in the cart (at most 99 of one)."""
    product = _published(slug)
    cart = quantities()
    if slug not in cart and len(cart) >= MAX_LINES:
        raise Unprocessable(f"A cart holds at most {MAX_LINES} different products")
    cart[slug] = min(cart.get(slug, 0) + _checked(quantity, minimum=1), MAX_QUANTITY)
    _save(cart)
    return product


def set_quantity(slug: str, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    cart = quantities()
    if slug not in cart:
        return
    quantity = _checked(quantity, minimum=0)
    if quantity == 0:
        cart.pop(slug)
    else:
        cart[slug] = quantity
    _save(cart)


def remove(slug: str) -> None:
    cart = quantities()
    if cart.pop(slug, None) is not None:
        _save(cart)


def clear() -> None:
    session.pop(SESSION_KEY, None)


def lines() -> list[CartLine]:
    """The cart's products, in the order they were added; vanished products drop out."""
    cart = quantities()
    if not cart:
        return []
    found = db.session.scalars(select(Product).where(Product.slug.in_(cart), Product.published.is_(True))).all()
    by_slug = {p.slug: p for p in found}
    return [CartLine(by_slug[slug], qty) for slug, qty in cart.items() if slug in by_slug]


@dataclass(frozen=True)
class CartSummary:
    """What the cart page shows: its lines, and what they come to."""

    lines: list[CartLine]
    total: int  # minor units of `currency`
    currency: str


def summary() -> CartSummary:
    """The cart's lines and their total, in the currency of its first product.

    One order is paid in one currency (the checkout refuses a cart that mixes them), so the
    first line's currency is the cart's; an empty cart comes to 0 in the shop's default.
    """
    found = lines()
    currency = found[0].product.currency if found else DEFAULT_CURRENCY
    return CartSummary(found, sum(line.line_total for line in found), currency)


def count() -> int:
    return sum(quantities().values())


def _published(slug: str) -> Product:
    product = db.session.scalar(select(Product).where(Product.slug == slug, Product.published.is_(True)))
    if product is None:
        raise Unprocessable("That product is not available", errors={"slug": ["Unknown product"]})
    return product


def _checked(quantity: int, *, minimum: int) -> int:
    if quantity is None or not minimum <= quantity <= MAX_QUANTITY:
        raise Unprocessable(f"Choose a quantity from {max(minimum, 1)} to {MAX_QUANTITY}",
                            errors={"quantity": ["Out of range"]})
    return quantity


def _save(cart: dict[str, int]) -> None:
    session[SESSION_KEY] = cart
    session.modified = True
