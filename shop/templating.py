"""Jinja filters shared by pages and emails, and the store's clock they read times by."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from shop.db import as_utc
from shop.money import format_money


def format_amount(value: Decimal | float | int) -> str:
    """200.000 → "200", 0.500 → "0.5": how a label prints an amount."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def store_zone() -> ZoneInfo:
    """The store's time zone (SHOP_TIMEZONE): the clock customers and staff read times by."""
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def _datetime(value: datetime | str | None) -> datetime | None:
    """Datetimes from the database, or ISO strings from a service's dict (claim_context)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if value else None
    return value


def store_time(value: datetime | str | None, fmt: str = "%B %-d, %Y", empty: str = "") -> str:
    """A stored (UTC) time as the store's clock shows it: what customers and staff read."""
    value = _datetime(value)
    if value is None:
        return empty
    return as_utc(value).astimezone(store_zone()).strftime(fmt)


def utc_iso(value: datetime | str | None) -> str:
    """A stored time for a `<time datetime>` attribute: ISO 8601 with its UTC offset."""
    value = _datetime(value)
    return as_utc(value).isoformat() if value is not None else ""


def init_templating(app: Flask) -> None:
    from shop.fulfilment.tracking import tracking_url

    app.add_template_global(tracking_url, "tracking_url")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_amount, "amount")
    app.add_template_filter(store_time, "store_time")
    app.add_template_filter(utc_iso, "utc_iso")
