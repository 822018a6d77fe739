"""The customer corrects the shipping address Stripe collected, until the order ships.

Only while the order may still ship (`orders.states`: paid, not shipped): from then on the
parcel is on its way and the form is gone; a late correction answers 409. Each correction is
written to the order's timeline with the address before and after, so staff see what changed.
"""
import re

from flask import current_app

from shop.errors import Conflict, NotFound, Unprocessable
from shop.orders.models import ADDRESS_FIELDS, SHIPPED, Order
from shop.orders.services import lock_order
from shop.orders.states import can_transition, record_event

REQUIRED = "Required field missing"
# The columns' lengths (Order.shipping_*); the country is a two-letter code.
MAX_LENGTHS = {"name": 255, "line1": 255, "line2": 255, "city": 255, "state": 255, "postal_code": 64,
               "country": 2}
REQUIRED_FIELDS = ("name", "line1", "city", "postal_code", "country")
US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def shipping_countries() -> tuple[str, ...]:
    """Where the store ships (SHIPPING_COUNTRIES), as upper-case ISO codes."""
    setting = current_app.config.get("SHIPPING_COUNTRIES", "US")
    codes = setting.split(",") if isinstance(setting, str) else setting
    return tuple(code.strip().upper() for code in codes if code.strip())


def may_correct_address(order: Order) -> bool:
    """Whether the customer may still correct the address: the order is paid and has not shipped."""
    return can_transition(order, SHIPPED)


def address_panel(order: Order) -> dict:
    """What the order page's address section shows."""
    return {"address": order.shipping_address, "can_correct": may_correct_address(order),
            "countries": shipping_countries(), "shown": order.paid_at is not None}


def correct_address(order_id: int, submitted: dict, *, actor: str = "customer") -> Order:
    """Replace the shipping address with `submitted` ({name, line1, line2, city, state,
    postal_code, country}). 422 for a missing or malformed part; 409 once the order has shipped.
    Flushes; the request commits."""
    address = checked_address(submitted)
    order = lock_order(order_id)
    if order is None:
        raise NotFound("Order not found")
    if not may_correct_address(order):
        raise Conflict("This order has shipped (or cannot ship): its address can no longer be changed.")
    before = order.shipping_address
    if before == address:
        return order
    for name, value in address.items():
        setattr(order, f"shipping_{name}", value)
    record_event(order, actor=actor, kind="address_corrected", message="Shipping address corrected",
                 data={"from": before, "to": address})
    return order


def checked_address(submitted: dict) -> dict:
    """The address with its parts trimmed (an empty optional part is None), or Unprocessable."""
    address = {name: _text(submitted.get(name)) for name in ADDRESS_FIELDS}
    address["country"] = (address["country"] or "").upper() or None
    errors: dict[str, list[str]] = {}
    for name, value in address.items():
        if value is None:
            if name in REQUIRED_FIELDS:
                errors[name] = [REQUIRED]
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            errors[name] = ["Must not contain control characters"]
        elif len(value) > MAX_LENGTHS[name]:
            errors[name] = [f"At most {MAX_LENGTHS[name]} characters"]
    countries = shipping_countries()
    if "country" not in errors and address["country"] not in countries:
        errors["country"] = [f"We ship to {', '.join(countries)} only"]
    if address["country"] == "US" and not errors:
        if not address["state"]:
            errors["state"] = [REQUIRED]
        if not US_ZIP.match(address["postal_code"]):
            errors["postal_code"] = ["A ZIP code is 5 digits (or 5+4: 12345-6789)"]
    if errors:
        raise Unprocessable(errors=errors)
    return address


def _text(value) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None
