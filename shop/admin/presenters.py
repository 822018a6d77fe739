"""Helpers the admin templates share: times in the store's zone, money input, CSRF fields."""
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from shop.admin.access import may
from shop.errors import Unprocessable
from shop.templating import store_time, utc_iso


def local_time(value: datetime | str | None) -> str:
    return store_time(value, "%Y-%m-%d %H:%M %Z", empty="—")


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(generate_csrf()))


def to_cents(value: Decimal | None, field: str = "amount") -> int | None:
    """A price typed by a person ("24.50") as integer cents; fractions of a cent are refused."""
    if value is None:
        return None
    try:
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise InvalidOperation
    except InvalidOperation as exc:
        raise Unprocessable(errors={field: ["Use at most two decimal places"]}) from exc
    return int(cents)


def from_cents(amount: int | None) -> Decimal | None:
    return None if amount is None else (Decimal(amount) / 100).quantize(Decimal("0.01"))


def template_helpers() -> dict:
    return {
        "csrf_field": csrf_field,
        "local_time": local_time,
        "utc_iso": utc_iso,
        "may": may,
        "from_cents": from_cents,
    }
