"""Jinja filters shared by pages and emails."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from shop.catalog.presenters import format_money
from shop.db import as_utc


def format_amount(value: Decimal | float | int) -> str:
    """200.000 → "200", 0.500 → "0.5": how a label prints an amount."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def store_time(value: datetime | None, fmt: str = "%B %-d, %Y") -> str:
    """A stored (UTC) time as the store's clock shows it (SHOP_TIMEZONE): what customers read."""
    if value is None:
        return ""
    return as_utc(value).astimezone(ZoneInfo(current_app.config["SHOP_TIMEZONE"])).strftime(fmt)


def utc_iso(value: datetime | None) -> str:
    """A stored time for a `<time datetime>` attribute: ISO 8601 with its UTC offset."""
    return as_utc(value).isoformat() if value is not None else ""


def init_templating(app: Flask) -> None:
    app.add_template_filter(lambda amount, currency="usd": format_money(amount, currency), "money")
    app.add_template_filter(format_amount, "amount")
    app.add_template_filter(store_time, "store_time")
    app.add_template_filter(utc_iso, "utc_iso")
