"""Helpers the admin templates share: times in the store's zone, money input, CSRF fields."""
from datetime import datetime
from decimal import Decimal

from flask import url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from shop import money
from shop.admin.access import may
from shop.errors import Unprocessable
from shop.templating import store_time, utc_iso


def local_time(value: datetime | str | None) -> str:
    return store_time(value, "%Y-%m-%d %H:%M %Z", empty="—")


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(generate_csrf()))


def to_minor_units(value: Decimal | None, currency: str | None, field: str = "amount") -> int | None:
    """An amount typed by a person ("24.50", "500" yen) as integer minor units of `currency`."""
    if value is None:
        return None
    try:
        return money.to_minor(value, (currency or "").strip() or money.DEFAULT_CURRENCY)
    except money.NotMinorUnits as exc:
        raise Unprocessable(errors={field: [str(exc)]}) from exc


def from_minor_units(amount: int | None, currency: str) -> Decimal | None:
    """Minor units as the decimal amount a form shows (2450 usd → 24.50, 500 jpy → 500)."""
    return None if amount is None else money.from_minor(amount, currency)


def page_link(endpoint: str, page_args: dict, filters: dict) -> str:
    """The URL of another page of a list: its filters (those set) and the page's cursor."""
    return url_for(endpoint, **{name: value for name, value in filters.items() if value}, **page_args)


def template_helpers() -> dict:
    return {
        "csrf_field": csrf_field,
        "local_time": local_time,
        "utc_iso": utc_iso,
        "may": may,
        "from_minor_units": from_minor_units,
        "page_link": page_link,
    }
