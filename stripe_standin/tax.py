"""Stripe Tax, as far as a one-off Checkout payment needs it: a table of rates by place.

Real Stripe Tax knows every jurisdiction's rules; the stand-in answers from a table that a test
or a developer sets (`POST /_standin/tax_rates`), so the figure is one a test can work out:

    tax = round_half_up(percentage × (items' subtotal − discount + shipping) / 100)

where `percentage` is the table's entry for the address's country and state (a state's entry
wins over its country's; no entry: 0 %). The address is the collected shipping address, or the
billing address when none is collected. With `automatic_tax[enabled]` off the tax is 0.
Prices are taken as tax-exclusive: the tax is added on top (`inclusive` is refused at session
creation rather than computed wrongly). The shipping cost's own share is
round_half_up(percentage × shipping / 100); the items carry the rest.
"""
from decimal import Decimal, InvalidOperation

from stripe_standin.params import StripeError

# A plausible table for a shop selling to the US and Europe: state sales taxes (the state's
# base rate; NY's is New York City's combined rate), VAT standard rates by country.
DEFAULT_RATES = (
    {"country": "US", "state": "CA", "percentage": 7.25},
    {"country": "US", "state": "IL", "percentage": 6.25},
    {"country": "US", "state": "NY", "percentage": 8.875},
    {"country": "US", "state": "TX", "percentage": 6.25},
    {"country": "US", "state": "WA", "percentage": 6.5},
    {"country": "CA", "state": None, "percentage": 5},
    {"country": "CA", "state": "ON", "percentage": 13},
    {"country": "AT", "state": None, "percentage": 20},
    {"country": "BE", "state": None, "percentage": 21},
    {"country": "DE", "state": None, "percentage": 19},
    {"country": "ES", "state": None, "percentage": 21},
    {"country": "FR", "state": None, "percentage": 20},
    {"country": "GB", "state": None, "percentage": 20},
    {"country": "IE", "state": None, "percentage": 23},
    {"country": "IT", "state": None, "percentage": 22},
    {"country": "NL", "state": None, "percentage": 21},
)


def default_rates() -> list[dict]:
    return [dict(rate) for rate in DEFAULT_RATES]


def checked_rates(raw) -> list[dict]:
    """A table given over the control API: a list of {country, state?, percentage}."""
    if not isinstance(raw, list):
        raise StripeError("rates is a list of {country, state?, percentage}", param="rates")
    table, seen = [], set()
    for index, entry in enumerate(raw):
        rate = _checked_rate(entry, f"rates[{index}]")
        place = (rate["country"], rate["state"])
        if place in seen:
            raise StripeError(f"rates[{index}]: {'/'.join(p for p in place if p)} is listed twice",
                              param=f"rates[{index}]")
        seen.add(place)
        table.append(rate)
    return table


def _checked_rate(entry, label: str) -> dict:
    if not isinstance(entry, dict) or set(entry) - {"country", "state", "percentage"}:
        raise StripeError(f"{label} is an object with country, state (optional), percentage",
                          param=label)
    country, state = entry.get("country"), entry.get("state") or None
    if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
        raise StripeError(f"{label}[country] is a two-letter ISO country code", param=label)
    if state is not None and not (isinstance(state, str) and 0 < len(state) <= 10):
        raise StripeError(f"{label}[state] is a state or province code", param=label)
    percentage = _percentage(entry.get("percentage"), label)
    return {"country": country.upper(), "state": state.upper() if state else None,
            "percentage": percentage}


def _percentage(raw, label: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise StripeError(f"{label}[percentage] is a number from 0 to 100", param=label)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise StripeError(f"{label}[percentage] is a number from 0 to 100", param=label) from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise StripeError(f"{label}[percentage] is a number from 0 to 100", param=label)
    return float(value)


def percentage_for(table: list[dict], address: dict | None) -> float:
    """The rate for an address: its state's entry, else its country's, else 0."""
    if not address or not address.get("country"):
        return 0.0
    country, state = address["country"].upper(), (address.get("state") or "").upper() or None
    by_place = {(r["country"], r["state"]): r["percentage"] for r in table}
    if state is not None and (country, state) in by_place:
        return by_place[(country, state)]
    return by_place.get((country, None), 0.0)

