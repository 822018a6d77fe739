"""Money: integer minor units of a lower-case ISO 4217 currency, per that currency's exponent.

A yen has no minor unit (500 means ¥500), a dollar has cents (500 means $5.00), a dinar has
fils (500 means 0.500 KWD). The exponents and the list of currencies come from the Unicode
CLDR data that Babel maintains, never from a hand-written list: the same minor units go to
Stripe, come back in its events, and are shown to people.
"""
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale
from babel.numbers import get_currency_precision, get_territory_currencies

# The currency of a product priced without one, and of an empty cart's total of 0.
DEFAULT_CURRENCY = "usd"
# Symbols the store's customers read; any other currency shows its code ("500 JPY").
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
# Currencies whose minor unit in Stripe's API differs from the CLDR `digits` Babel reports
# (Stripe keeps two decimals where CLDR shows none: ISK for backwards compatibility, the others
# as ISO 4217 has them). A price in one of them would be charged at a hundredth of itself, so
# no product is priced in them.
STRIPE_DISAGREES = frozenset({"afn", "all", "iqd", "irr", "isk", "kpw", "lak", "lbp", "mmk", "rsd", "sos",
                              "syp", "ugx", "yer"})


class NotMinorUnits(ValueError):
    """An amount with more decimal places than its currency has (24.505 USD, 500.5 JPY)."""


@cache
def currencies() -> frozenset[str]:
    """The ISO 4217 codes (lower case) that some country uses as legal tender today, and whose
    minor unit Stripe and Babel agree on."""
    codes = set()
    for territory in Locale("en").territories:
        if territory.isalpha():  # "001", "150"... are regions, not countries
            codes.update(get_territory_currencies(territory, tender=True))
    return frozenset(code.lower() for code in codes) - STRIPE_DISAGREES


def is_currency(code: str) -> bool:
    return isinstance(code, str) and code.lower() in currencies()


@cache
def exponent(currency: str) -> int:
    """Decimal places of the currency's minor unit: 2 for usd, 0 for jpy, 3 for kwd."""
    return get_currency_precision(currency.upper())


def to_minor(value: Decimal, currency: str) -> int:
    """A decimal amount a person typed ("24.50") as integer minor units of `currency`.

    Raises NotMinorUnits for more places than the currency has, or for inf/nan.
    """
    try:
        minor = Decimal(value).scaleb(exponent(currency))
        if not minor.is_finite() or minor != minor.to_integral_value():
            raise NotMinorUnits(_places_message(currency))
    except InvalidOperation as exc:
        raise NotMinorUnits(_places_message(currency)) from exc
    return int(minor)


def from_minor(amount: int, currency: str) -> Decimal:
    """Integer minor units as a decimal amount with the currency's places (2450 usd → 24.50)."""
    places = exponent(currency)
    return Decimal(amount).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_money(amount: int, currency: str) -> str:
    """How a person reads an amount: "$24.50", "€1,000.00", "500 JPY", "1.250 KWD"."""
    value = f"{from_minor(amount, currency):,f}"
    symbol = SYMBOLS.get(currency.lower())
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def _places_message(currency: str) -> str:
    places = exponent(currency)
    if places == 0:
        return f"{currency.upper()} has no minor unit: use a whole amount"
    return f"Use at most {'two' if places == 2 else places} decimal places"
