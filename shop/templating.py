"""Jinja filters shared by pages and emails."""
from decimal import Decimal

from flask import Flask

from shop.catalog.presenters import format_money


def format_amount(value: Decimal | float | int) -> str:
    """200.000 → "200", 0.500 → "0.5": how a label prints an amount."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def init_templating(app: Flask) -> None:
    app.add_template_filter(lambda amount, currency="usd": format_money(amount, currency), "money")
    app.add_template_filter(format_amount, "amount")
