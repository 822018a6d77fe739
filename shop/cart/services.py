"""The session cart: {line: quantity}, checked against the catalogue whenever it is read.

A line is a product's slug (single bottles), `slug*N` (its bundle of N bottles; the quantity
then counts bundles) or `slug~subscribe` (single bottles on subscribe & save), so a product and
its bundle sit in the cart side by side. A product's single bottles are either one-time or
subscribed, never both (the checkout makes one line of them), and one product per cart is
subscribed (one subscription per checkout).

Nothing is reserved until checkout; the cart only remembers intentions, so it lives in the
signed session cookie and never writes to the database.
"""
from dataclasses import dataclass

from flask import session
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.catalog.models import Bundle, Product
from shop.errors import Unprocessable
from shop.extensions import db
from shop.money import DEFAULT_CURRENCY
from shop.subscriptions.services import discounted_price

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
    quantity: int  # bottles; for a bundle line, bundles
    bundle: Bundle | None = None
    subscribe: bool = False

    @property
    def key(self) -> str:
        return line_key(self.product.slug, self.bundle.bottles if self.bundle else None, self.subscribe)

    @property
    def unit_price(self) -> int:
        if self.bundle:
            return self.bundle.price
        return discounted_price(self.product) if self.subscribe else self.product.price

    @property
    def name(self) -> str:
        if self.bundle:
            return f"{self.product.name} — {self.bundle.display_label}"
        if self.subscribe:
            return f"{self.product.name} — subscribe & save {self.product.subscription_discount_percent}%"
        return self.product.name

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


SUBSCRIBE_SUFFIX = "~subscribe"


def line_key(slug: str, bundle: int | None = None, subscribe: bool = False) -> str:
    """The cart's name for a line: the slug, `slug*N` for the bundle of N bottles, or
    `slug~subscribe` for single bottles on subscription."""
    if bundle:
        return f"{slug}*{bundle}"
    return f"{slug}{SUBSCRIBE_SUFFIX}" if subscribe else slug


def parse_key(key: str) -> tuple[str, int | None, bool]:
    """(slug, bottles per bundle or None, subscribed) of a line's key."""
    key = str(key)
    if key.endswith(SUBSCRIBE_SUFFIX):
        return key[:-len(SUBSCRIBE_SUFFIX)], None, True
    slug, _, size = key.partition("*")
    return slug, (int(size) if size.isdigit() else None), False


def quantities() -> dict[str, int]:
    """{line key: quantity}, as the session holds them."""
    raw = session.get(SESSION_KEY) or {}
    if not isinstance(raw, dict):
        return {}
    return {str(slug): int(qty) for slug, qty in raw.items() if isinstance(qty, int) and qty > 0}


def checkout_lines() -> list[tuple[str, int, int | None, bool]]:
    """(slug, quantity, bundle, subscribe) of each line, as the checkout takes them."""
    return [(slug, qty, bundle, subscribe) for (slug, bundle, subscribe), qty in
            ((parse_key(key), qty) for key, qty in quantities().items())]


def add(slug: str, quantity: int, bundle: int | None = None, subscribe: bool = False) -> Product:
    """Put `quantity` more of a published product in the cart (at most 99 of one line); with
    `bundle`, that many of its bundle of `bundle` bottles (422 when it offers no such bundle);
    with `subscribe`, on subscribe & save (422 for a product without a discount, a bundle, or a
    second subscribed product). Subscribing turns the product's one-time bottles in the cart into
    subscribed ones; one-time bottles of a product already subscribed are refused."""
    product = _published(slug)
    if bundle is not None and not any(b.bottles == bundle for b in product.bundles):
        raise Unprocessable("That bundle is not offered", errors={"bundle": ["Not offered"]})
    cart = quantities()
    if subscribe:
        _check_subscription(product, bundle, cart)
        quantity = _checked(quantity, minimum=1) + cart.pop(slug, 0)
    elif bundle is None and line_key(slug, subscribe=True) in cart:
        raise Unprocessable(f"{product.name} is in your cart on subscription: change its quantity there",
                            errors={"subscribe": ["Already subscribed"]})
    key = line_key(slug, bundle, subscribe)
    if key not in cart and len(cart) >= MAX_LINES:
        raise Unprocessable(f"A cart holds at most {MAX_LINES} different products")
    cart[key] = min(cart.get(key, 0) + _checked(quantity, minimum=1), MAX_QUANTITY)
    _save(cart)
    return product


def _check_subscription(product: Product, bundle: int | None, cart: dict[str, int]) -> None:
    if bundle is not None:
        raise Unprocessable("A bundle cannot be subscribed to", errors={"subscribe": ["A bundle cannot be subscribed to"]})
    if product.subscription_discount_percent is None:
        raise Unprocessable("This product cannot be subscribed to", errors={"subscribe": ["Not offered"]})
    others = [key for key in cart if parse_key(key)[2] and parse_key(key)[0] != product.slug]
    if others:
        raise Unprocessable("One subscription per order: check out this one first, or remove it",
                            errors={"subscribe": ["One subscription per order"]})


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
    """The cart's lines, in the order they were added; vanished products and bundles drop out."""
    cart = quantities()
    if not cart:
        return []
    slugs = {parse_key(key)[0] for key in cart}
    found = db.session.scalars(select(Product).where(Product.slug.in_(slugs), Product.published.is_(True))
                               .options(selectinload(Product.bundles))).all()
    by_slug = {p.slug: p for p in found}
    result = []
    for key, qty in cart.items():
        slug, size, subscribe = parse_key(key)
        product = by_slug.get(slug)
        if product is None or subscribe and product.subscription_discount_percent is None:
            continue
        if size is None:
            result.append(CartLine(product, qty, subscribe=subscribe))
            continue
        bundle = next((b for b in product.bundles if b.bottles == size), None)
        if bundle is not None:
            result.append(CartLine(product, qty, bundle))
    return result


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
    product = db.session.scalar(select(Product).where(Product.slug == slug, Product.published.is_(True))
                                .options(selectinload(Product.bundles)))
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
