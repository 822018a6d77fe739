"""Shipping rates: create, retrieve, list, update, and a session's shipping options.

A rate is a fixed amount in one currency with a display name and, optionally, a delivery
estimate. A Checkout Session offers up to five, each an existing active rate
(`shipping_options[][shipping_rate]`) or one made on the spot (`shipping_rate_data`), all in
the session's currency. Stripe keeps rates forever: they are archived (`active=false`),
never deleted, and a change of price is a new rate.
"""
from stripe_standin.account import Account, new_id
from stripe_standin.params import (boolean, currency, expand, integer, invalid, merged_metadata,
                                   metadata, missing, no_such, one_of, only, text)
from stripe_standin.shapes import SHIPPING_RATE, shaped

MAX_OPTIONS = 5
UNITS = ("business_day", "day", "hour", "month", "week")
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
_CREATE = {"display_name", "type", "fixed_amount", "delivery_estimate", "tax_behavior",
           "tax_code", "metadata", "expand"}


def create_rate(account: Account, params: dict) -> dict:
    rate = new_rate(account, params)
    with account.lock:
        account.shipping_rates[rate["id"]] = rate
    return rate


def new_rate(account: Account, params: dict, label: str = "") -> dict:
    """A rate made from `params` (the API's, or a session's `shipping_rate_data`: `label`),
    not yet kept: a session keeps its inline rates only once it is created."""
    only(params, _CREATE, label)
    one_of(params, "type", ("fixed_amount",), label=_in(label, "type"))
    return shaped(
        SHIPPING_RATE, id=new_id("shr_1"), created=account.now(),
        display_name=text(params, "display_name", required=True, max_length=100,
                          label=_in(label, "display_name")),
        fixed_amount=_fixed_amount(params, _in(label, "fixed_amount")),
        delivery_estimate=_estimate(params, _in(label, "delivery_estimate")),
        tax_behavior=one_of(params, "tax_behavior", TAX_BEHAVIORS, default="unspecified",
                            label=_in(label, "tax_behavior")),
        tax_code=tax_code(params, "tax_code", _in(label, "tax_code")),
        metadata=metadata(params),
    )


def _in(label: str, field: str) -> str:
    """A parameter's name as Stripe reports it: `shipping_options[0][shipping_rate_data][x]`."""
    return f"{label}[{field}]" if label else field


def _fixed_amount(params: dict, label: str) -> dict:
    raw = params.get("fixed_amount")
    if raw is None or raw == "":
        raise missing(label)
    if not isinstance(raw, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(raw, {"amount", "currency"}, label)
    return {"amount": integer(raw, "amount", required=True, minimum=0, maximum=99999999,
                              label=f"{label}[amount]"),
            "currency": currency(raw, "currency", required=True, label=f"{label}[currency]")}


def _estimate(params: dict, label: str) -> dict | None:
    raw = params.get("delivery_estimate")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(raw, {"minimum", "maximum"}, label)
    estimate = {end: _bound(raw, end, f"{label}[{end}]") for end in ("maximum", "minimum")}
    low, high = estimate["minimum"], estimate["maximum"]
    if low and high and low["unit"] == high["unit"] and low["value"] > high["value"]:
        raise invalid(label, "The delivery estimate's minimum must not be greater than its "
                             "maximum.")
    return estimate


def _bound(raw: dict, end: str, label: str) -> dict | None:
    bound = raw.get(end)
    if bound is None or bound == "":
        return None
    if not isinstance(bound, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(bound, {"unit", "value"}, label)
    unit = one_of(bound, "unit", UNITS, required=True, label=f"{label}[unit]")
    return {"unit": unit, "value": integer(bound, "value", required=True, minimum=1,
                                           label=f"{label}[value]")}


def tax_code(params: dict, name: str, label: str) -> str | None:
    """A product tax code, `txcd_` and eight digits (txcd_92010001: shipping)."""
    raw = text(params, name, label=label)
    if raw is None:
        return None
    digits = raw.removeprefix("txcd_")
    if not (raw.startswith("txcd_") and len(digits) == 8 and digits.isdigit()):
        raise invalid(label, f"Invalid tax code: {raw}")
    return raw


def update_rate(account: Account, rate_id: str, params: dict) -> dict:
    only(params, {"active", "metadata", "tax_behavior", "expand"})
    with account.lock:
        rate = _rate(account, rate_id)
        active = boolean(params, "active")
        behavior = one_of(params, "tax_behavior", TAX_BEHAVIORS)
        if behavior and behavior != rate["tax_behavior"] and rate["tax_behavior"] != "unspecified":
            raise invalid("tax_behavior", "The tax_behavior of a shipping rate cannot be changed "
                                          "once it is inclusive or exclusive.")
        if active is not None:
            rate["active"] = active
        if behavior:
            rate["tax_behavior"] = behavior
        if "metadata" in params:
            rate["metadata"] = merged_metadata(rate["metadata"], params)
        return account.expanded(rate, expand(params))


def list_rates(account: Account, params: dict) -> dict:
    only(params, {"active", "created", "currency", "limit", "starting_after", "ending_before",
                  "expand"})
    active = boolean(params, "active")
    wanted = currency(params, "currency")
    with account.lock:
        found = [r for r in account.shipping_rates.values()
                 if (active is None or r["active"] == active)
                 and (wanted is None or r["fixed_amount"]["currency"] == wanted)]
        return account.page(found, params, "/v1/shipping_rates", expand(params))


def _rate(account: Account, rate_id: str) -> dict:
    rate = account.shipping_rates.get(rate_id)
    if rate is None:
        raise no_such("shipping rate", rate_id)
    return rate


def session_options(account: Account, raw, session_currency: str) -> list[dict]:
    """The rates a session offers, checked; inline `shipping_rate_data` makes a new rate (the
    caller keeps it with the session)."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise invalid("shipping_options", "Invalid array")
    if len(raw) > MAX_OPTIONS:
        raise invalid("shipping_options", f"You can provide up to {MAX_OPTIONS} shipping "
                                          "options.")
    rates = [_option(account, option, f"shipping_options[{index}]")
             for index, option in enumerate(raw)]
    for index, rate in enumerate(rates):
        rate_currency = rate["fixed_amount"]["currency"]
        if rate_currency != session_currency:
            raise invalid(f"shipping_options[{index}]",
                          f"The shipping rate's currency ({rate_currency}) must match the "
                          f"Checkout Session's currency ({session_currency}).")
    return rates


def _option(account: Account, option, label: str) -> dict:
    if not isinstance(option, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(option, {"shipping_rate", "shipping_rate_data"}, label)
    given = [k for k in ("shipping_rate", "shipping_rate_data") if option.get(k)]
    if len(given) != 1:
        raise invalid(label, "You must specify exactly one of shipping_rate or "
                             f"shipping_rate_data in {label}.")
    if given[0] == "shipping_rate_data":
        data = option["shipping_rate_data"]
        if not isinstance(data, dict):
            raise invalid(f"{label}[shipping_rate_data]", "Invalid object")
        return new_rate(account, data, f"{label}[shipping_rate_data]")
    rate_id = text(option, "shipping_rate", label=f"{label}[shipping_rate]")
    rate = account.shipping_rates.get(rate_id)
    if rate is None:
        raise no_such("shipping rate", rate_id, f"{label}[shipping_rate]")
    if not rate["active"]:
        raise invalid(f"{label}[shipping_rate]", f"The shipping rate {rate_id} is not active: "
                                                 "archived rates cannot be used in new sessions.")
    return rate


def describe_estimate(rate: dict) -> str:
    """"3–5 business days", for the pay page."""
    estimate = rate.get("delivery_estimate") or {}
    low, high = estimate.get("minimum"), estimate.get("maximum")
    if not low and not high:
        return ""
    if low and high and low["unit"] == high["unit"]:
        span = f"{low['value']}" if low["value"] == high["value"] else \
            f"{low['value']}–{high['value']}"
        return f"{span} {_unit(high['unit'], high['value'])}"
    if low and high:
        return f"{low['value']} {_unit(low['unit'], low['value'])} to " \
               f"{high['value']} {_unit(high['unit'], high['value'])}"
    bound = low or high
    word = "at least" if low else "at most"
    return f"{word} {bound['value']} {_unit(bound['unit'], bound['value'])}"


def _unit(unit: str, value: int) -> str:
    words = unit.replace("_", " ")
    return words if value == 1 else words + "s"
