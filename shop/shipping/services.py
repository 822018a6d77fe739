"""Shipping rates: which are offered for an order, and the admin's edits (validated here).

Functions flush; the request commits.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import String, bindparam, select

from shop.errors import NotFound, Unprocessable
from shop.extensions import db
from shop.money import DEFAULT_CURRENCY, is_currency
from shop.shipping.models import ShippingRate

# Stripe Checkout shows at most five shipping options.
MAX_OFFERED = 5
MAX_AMOUNT = 99_999_999  # Stripe's largest fixed amount
MAX_BUSINESS_DAYS = 365
RATE_FIELDS = ("name", "amount", "currency", "min_business_days", "max_business_days", "free_over",
               "active", "sort_order")


@dataclass(frozen=True)
class Offer:
    """A rate as one checkout offers it: `amount` is 0 when the items reach its free-over."""
    rate: ShippingRate
    amount: int


# Every checkout asks: built once, with a bound parameter.
_OFFERED = (select(ShippingRate)
            .where(ShippingRate.active.is_(True), ShippingRate.currency == bindparam("currency", type_=String))
            .order_by(ShippingRate.sort_order, ShippingRate.id)
            .limit(MAX_OFFERED))


def offered_rates(subtotal: int, currency: str) -> list[Offer]:
    """The active rates in the order's currency, by sort order, at most MAX_OFFERED; a rate
    whose `free_over` the items' subtotal reaches (>=) is offered at 0."""
    rates = db.session.scalars(_OFFERED, {"currency": currency.lower()}).all()
    return [Offer(rate, 0 if is_free(rate, subtotal) else rate.amount) for rate in rates]


def shipping_countries() -> list[str]:
    """SHIPPING_COUNTRIES as Stripe's `allowed_countries` (a test may set it as text: "US,CA")."""
    configured = current_app.config["SHIPPING_COUNTRIES"]
    if isinstance(configured, str):
        configured = configured.split(",")
    return [code.strip().upper() for code in configured if code.strip()]


def is_free(rate: ShippingRate, subtotal: int) -> bool:
    return rate.free_over is not None and subtotal >= rate.free_over


def rate_by_id(rate_id) -> ShippingRate | None:
    """A rate by our id as the checkout put it in the session's metadata (junk: None)."""
    try:
        number = int(rate_id)
    except (TypeError, ValueError):
        return None
    return db.session.get(ShippingRate, number) if 0 < number < 2**31 else None


def list_rates() -> list[ShippingRate]:
    """Every rate, active first, in the order checkouts offer them."""
    return list(db.session.scalars(
        select(ShippingRate).order_by(ShippingRate.active.desc(), ShippingRate.currency,
                                      ShippingRate.sort_order, ShippingRate.id)))


def get_rate(rate_id: int) -> ShippingRate:
    rate = db.session.get(ShippingRate, rate_id)
    if rate is None:
        raise NotFound("Shipping rate not found")
    return rate


def create_rate(fields: dict) -> ShippingRate:
    rate = ShippingRate(**_checked(fields, None))
    db.session.add(rate)
    db.session.flush()
    return rate


def update_rate(rate: ShippingRate, fields: dict) -> ShippingRate:
    """Change a rate; orders already paid keep what Stripe charged them."""
    for name, value in _checked(fields, rate).items():
        setattr(rate, name, value)
    db.session.flush()
    return rate


def set_active(rate: ShippingRate, active: bool) -> None:
    """Offer the rate at the next checkouts again, or stop offering it (it is kept for the record)."""
    rate.active = bool(active)
    db.session.flush()


def ensure_rate(name: str, **fields) -> tuple[ShippingRate, bool]:
    """The rate of that name (created from `fields` when missing); for the demo seed."""
    rate = db.session.scalar(select(ShippingRate).where(ShippingRate.name == name).limit(1))
    if rate is not None:
        return rate, False
    return create_rate({"name": name, **fields}), True


def _checked(fields: dict, rate: ShippingRate | None) -> dict:
    """The fields as stored, or Unprocessable naming each bad one (nothing changes)."""
    current = {name: getattr(rate, name) for name in RATE_FIELDS} if rate else {}
    merged = {**current, **{k: v for k, v in fields.items() if k in RATE_FIELDS}}
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    name = (merged.get("name") or "").strip()
    if not name:
        fail("name", "Required field missing")
    elif len(name) > 100:
        fail("name", "At most 100 characters")
    currency = (merged.get("currency") or DEFAULT_CURRENCY).strip().lower()
    if not is_currency(currency):
        fail("currency", "A three-letter ISO 4217 currency code the shop can charge in, e.g. usd")
    numbers = {}
    for field, required, minimum, maximum in (
            ("amount", True, 0, MAX_AMOUNT), ("free_over", False, 0, MAX_AMOUNT),
            ("min_business_days", False, 1, MAX_BUSINESS_DAYS),
            ("max_business_days", False, 1, MAX_BUSINESS_DAYS), ("sort_order", False, -1000, 1000)):
        value = merged.get(field)
        if value is None:
            if required:
                fail(field, "Required field missing")
            numbers[field] = 0 if field == "sort_order" else None
        elif isinstance(value, bool) or not isinstance(value, int):
            fail(field, "A whole number")
        elif not minimum <= value <= maximum:
            fail(field, f"Between {minimum} and {maximum}")
        else:
            numbers[field] = value
    low, high = numbers.get("min_business_days"), numbers.get("max_business_days")
    if low is not None and high is not None and high < low:
        fail("max_business_days", "At least the minimum")
    if errors:
        raise Unprocessable("Please correct the highlighted fields", errors=errors)
    return {"name": name, "currency": currency, **numbers, "active": bool(merged.get("active", True))}
