"""Coupons and promotion codes, and whether one can be redeemed now.

A coupon takes a percentage or an amount (in one currency) off; a promotion code is the
customer-facing code for a coupon, with limits of its own. At the pinned API version a code
names its coupon as `promotion[coupon]` with `promotion[type]=coupon` (since 2025-09-30; the
older top-level `coupon` is still taken). Both count `times_redeemed`, which grows when a
Checkout Session using them completes; a coupon past `redeem_by` or `max_redemptions` is no
longer `valid`. Dates are judged by the stand-in's clock.
"""
import secrets
import string

from stripe_standin.account import Account, new_id
from stripe_standin.params import (StripeError, boolean, currency, expand, integer, invalid,
                                   merged_metadata, metadata, missing, no_such, one_of, only,
                                   text)
from stripe_standin.shapes import COUPON, PROMOTION_CODE, shaped

DURATIONS = ("forever", "once", "repeating")
_CODE_CHARACTERS = string.ascii_letters + string.digits + "-"
_LIST = {"created", "limit", "starting_after", "ending_before", "expand"}
EXPIRED = "This code has expired."


# -- coupons -------------------------------------------------------------------------------
def create_coupon(account: Account, params: dict, request: dict | None) -> dict:
    only(params, {"id", "percent_off", "amount_off", "currency", "duration",
                  "duration_in_months", "max_redemptions", "redeem_by", "name", "metadata",
                  "expand"})
    duration = one_of(params, "duration", DURATIONS, default="once")
    coupon = shaped(
        COUPON, created=account.now(), duration=duration, **_discount(params),
        duration_in_months=_months(params, duration), metadata=metadata(params),
        max_redemptions=integer(params, "max_redemptions", minimum=1),
        redeem_by=_future(account, params, "redeem_by"),
        name=text(params, "name", max_length=40),
    )
    with account.together():
        coupon["id"] = _coupon_id(account, params)
        account.coupons[coupon["id"]] = coupon
        account.emit("coupon.created", coupon, request)
        return account.expanded(coupon, expand(params))


def _discount(params: dict) -> dict:
    """percent_off, or amount_off with its currency: exactly one of them."""
    given = [name for name in ("percent_off", "amount_off") if params.get(name) not in (None, "")]
    if len(given) != 1:
        raise invalid("percent_off", "You must pass exactly one of percent_off or amount_off.")
    if given == ["amount_off"]:
        return {"amount_off": integer(params, "amount_off", minimum=1, maximum=99999999),
                "currency": currency(params, "currency", required=True)}
    if params.get("currency"):
        raise invalid("currency", "A currency is only given with amount_off.")
    try:
        percent = float(params["percent_off"])
    except (TypeError, ValueError):
        raise invalid("percent_off", f"Invalid decimal: {params['percent_off']}") from None
    if not 0 < percent <= 100:
        raise invalid("percent_off", "percent_off must be greater than 0 and at most 100.")
    return {"percent_off": percent}


def _months(params: dict, duration: str) -> int | None:
    months = integer(params, "duration_in_months", minimum=1)
    if duration == "repeating" and months is None:
        raise missing("duration_in_months")
    if duration != "repeating" and months is not None:
        raise invalid("duration_in_months", "duration_in_months is only given with "
                                            "duration=repeating.")
    return months


def _future(account: Account, params: dict, name: str) -> int | None:
    when = integer(params, name)
    if when is not None and when <= account.now():
        raise invalid(name, f"Invalid timestamp: {name} must be in the future.")
    return when


def _coupon_id(account: Account, params: dict) -> str:
    chosen = text(params, "id", max_length=200)
    if chosen is None:
        return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
    if chosen in account.coupons:
        raise StripeError("Coupon already exists.", code="resource_already_exists", param="id")
    return chosen


def update_coupon(account: Account, coupon_id: str, params: dict, request: dict | None) -> dict:
    only(params, {"name", "metadata", "expand"})
    with account.together():
        coupon = _coupon(account, coupon_id)
        previous = {}
        if "name" in params:
            previous["name"] = coupon["name"]
            coupon["name"] = text(params, "name", max_length=40)
        if "metadata" in params:
            previous["metadata"] = coupon["metadata"]
            coupon["metadata"] = merged_metadata(coupon["metadata"], params)
        account.emit("coupon.updated", _current(account, coupon), request, previous)
        return account.expanded(_current(account, coupon), expand(params))


def delete_coupon(account: Account, coupon_id: str, request: dict | None) -> dict:
    """Gone for good: its promotion codes can no longer be redeemed."""
    with account.together():
        coupon = _current(account, _coupon(account, coupon_id))
        del account.coupons[coupon_id]
        account.emit("coupon.deleted", coupon, request)
        return {"id": coupon_id, "object": "coupon", "deleted": True}


def retrieve_coupon(account: Account, coupon_id: str, params: dict) -> dict:
    with account.lock:
        return account.expanded(_current(account, _coupon(account, coupon_id)), expand(params))


def list_coupons(account: Account, params: dict) -> dict:
    only(params, _LIST)
    with account.lock:
        found = [_current(account, c) for c in account.coupons.values()]
        return account.page(found, params, "/v1/coupons", expand(params))


def _coupon(account: Account, coupon_id: str, param: str = "id") -> dict:
    coupon = account.coupons.get(coupon_id)
    if coupon is None:
        raise no_such("coupon", coupon_id, param)
    return coupon


def _current(account: Account, coupon: dict) -> dict:
    """The stored coupon with `valid` brought up to date (time passes, redemptions add up)."""
    coupon["valid"] = coupon_problem(account, coupon) is None
    return coupon


def coupon_problem(account: Account, coupon: dict | None) -> str | None:
    """Why a coupon cannot be redeemed now, or None."""
    if coupon is None:
        return "This code is invalid: its coupon has been deleted."
    if coupon["redeem_by"] is not None and coupon["redeem_by"] <= account.now():
        return EXPIRED
    limit = coupon["max_redemptions"]
    if limit is not None and coupon["times_redeemed"] >= limit:
        return "This code has been redeemed the maximum number of times."
    return None


# -- promotion codes -----------------------------------------------------------------------
def create_promotion_code(account: Account, params: dict, request: dict | None) -> dict:
    only(params, {"promotion", "coupon", "code", "active", "max_redemptions", "expires_at",
                  "restrictions", "metadata", "expand"})
    with account.together():
        coupon = _coupon(account, *_promoted_coupon(params))
        code = _new_code(account, params)
        promo = shaped(
            PROMOTION_CODE, id=new_id("promo_1"), created=account.now(), code=code,
            active=boolean(params, "active", default=True), metadata=metadata(params),
            expires_at=_expiry(account, params, coupon),
            max_redemptions=_max_redemptions(params, coupon),
            promotion={"coupon": coupon["id"], "type": "coupon"},
            restrictions=_restrictions(params),
        )
        account.promotion_codes[promo["id"]] = promo
        account.emit("promotion_code.created", promo, request)
        return account.expanded(promo, expand(params))


def _promoted_coupon(params: dict) -> tuple[str, str]:
    """The coupon id and the parameter that named it: promotion[coupon], or the old coupon."""
    promotion = params.get("promotion")
    if promotion not in (None, ""):
        if not isinstance(promotion, dict):
            raise invalid("promotion", "Invalid object: promotion")
        only(promotion, {"type", "coupon"}, "promotion")
        one_of(promotion, "type", ("coupon",), required=True, label="promotion[type]")
        coupon_id = text(promotion, "coupon", required=True, label="promotion[coupon]")
        return coupon_id, "promotion[coupon]"
    coupon_id = text(params, "coupon")
    if coupon_id is None:
        raise missing("promotion")
    return coupon_id, "coupon"


def _new_code(account: Account, params: dict) -> str:
    code = text(params, "code", max_length=500)
    if code is None:
        return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
    if any(c not in _CODE_CHARACTERS for c in code):
        raise invalid("code", "A promotion code may contain only letters, digits and dashes.")
    if find_code(account, code) is not None:
        raise invalid("code", f"An active promotion code with `code: {code}` already exists.")
    return code


def _expiry(account: Account, params: dict, coupon: dict) -> int | None:
    expires_at = _future(account, params, "expires_at")
    redeem_by = coupon["redeem_by"]
    if expires_at is not None and redeem_by is not None and expires_at > redeem_by:
        raise invalid("expires_at", "The promotion code cannot expire after its coupon's "
                                    "redeem_by date.")
    return expires_at


def _max_redemptions(params: dict, coupon: dict) -> int | None:
    limit = integer(params, "max_redemptions", minimum=1)
    ceiling = coupon["max_redemptions"]
    if limit is not None and ceiling is not None and limit > ceiling:
        raise invalid("max_redemptions", "max_redemptions cannot be greater than the coupon's "
                                         f"max_redemptions ({ceiling}).")
    return limit


def _restrictions(params: dict) -> dict:
    raw = params.get("restrictions")
    if raw in (None, ""):
        return dict(PROMOTION_CODE["restrictions"])
    if not isinstance(raw, dict):
        raise invalid("restrictions", "Invalid object: restrictions")
    only(raw, {"first_time_transaction", "minimum_amount", "minimum_amount_currency"},
         "restrictions")
    minimum = integer(raw, "minimum_amount", minimum=0, label="restrictions[minimum_amount]")
    minimum_currency = currency(raw, "minimum_amount_currency",
                                label="restrictions[minimum_amount_currency]")
    if (minimum is None) != (minimum_currency is None):
        raise invalid("restrictions[minimum_amount_currency]",
                      "minimum_amount and minimum_amount_currency are given together.")
    return {"first_time_transaction": boolean(raw, "first_time_transaction", default=False,
                                              label="restrictions[first_time_transaction]"),
            "minimum_amount": minimum, "minimum_amount_currency": minimum_currency}


def update_promotion_code(account: Account, promo_id: str, params: dict,
                          request: dict | None) -> dict:
    only(params, {"active", "metadata", "expand"})
    with account.together():
        promo = _promotion_code(account, promo_id)
        previous = {}
        active = boolean(params, "active")
        if active is not None and active != promo["active"]:
            if active:
                _reactivatable(account, promo)
            previous["active"], promo["active"] = promo["active"], active
        if "metadata" in params:
            previous["metadata"] = promo["metadata"]
            promo["metadata"] = merged_metadata(promo["metadata"], params)
        account.emit("promotion_code.updated", promo, request, previous)
        return account.expanded(promo, expand(params))


def _reactivatable(account: Account, promo: dict) -> None:
    """Stripe reactivates a code only while its coupon is valid and its code is unique."""
    problem = coupon_problem(account, account.coupons.get(promo["promotion"]["coupon"]))
    if problem:
        raise invalid("active", f"This promotion code cannot be reactivated: {problem}")
    if find_code(account, promo["code"]) is not None:
        raise invalid("active", f"An active promotion code with `code: {promo['code']}` "
                                "already exists.")


def retrieve_promotion_code(account: Account, promo_id: str, params: dict) -> dict:
    with account.lock:
        return account.expanded(_promotion_code(account, promo_id), expand(params))


def list_promotion_codes(account: Account, params: dict) -> dict:
    only(params, _LIST | {"active", "code", "coupon"})
    active = boolean(params, "active")
    code, coupon = text(params, "code"), text(params, "coupon")
    with account.lock:
        found = [p for p in account.promotion_codes.values()
                 if (active is None or p["active"] == active)
                 and (code is None or p["code"].lower() == code.lower())
                 and (coupon is None or p["promotion"]["coupon"] == coupon)]
        return account.page(found, params, "/v1/promotion_codes", expand(params))


def _promotion_code(account: Account, promo_id: str, param: str = "id") -> dict:
    promo = account.promotion_codes.get(promo_id)
    if promo is None:
        raise no_such("promotion_code", promo_id, param)
    return promo


def find_code(account: Account, code: str) -> dict | None:
    """The active promotion code a customer typed (codes match regardless of case)."""
    wanted = code.strip().lower()
    return next((p for p in account.promotion_codes.values()
                 if p["active"] and p["code"].lower() == wanted), None)


def any_code(account: Account, code: str) -> dict | None:
    """The newest promotion code with this text, active or not (to say why it is refused)."""
    wanted = code.strip().lower()
    return next((p for p in reversed(account.promotion_codes.values())
                 if p["code"].lower() == wanted), None)


# -- redeeming -----------------------------------------------------------------------------
def promotion_code_problem(account: Account, promo: dict, *, subtotal: int, currency_: str,
                           email: str | None, session_id: str | None = None) -> str | None:
    """Why this promotion code cannot be redeemed on this purchase now, or None."""
    if not promo["active"]:
        return "This code is invalid: it is no longer active."
    if promo["expires_at"] is not None and promo["expires_at"] <= account.now():
        return EXPIRED
    limit = promo["max_redemptions"]
    if limit is not None and promo["times_redeemed"] >= limit:
        return "This code has been redeemed the maximum number of times."
    coupon = account.coupons.get(promo["promotion"]["coupon"])
    problem = coupon_problem(account, coupon) or currency_problem(coupon, currency_)
    if problem:
        return problem
    return _restriction_problem(account, promo["restrictions"], subtotal=subtotal,
                                currency_=currency_, email=email, session_id=session_id)


def currency_problem(coupon: dict, currency_: str) -> str | None:
    if coupon.get("amount_off") is not None and coupon["currency"] != currency_:
        return (f"This code takes {coupon['currency'].upper()} off and cannot be used for a "
                f"purchase in {currency_.upper()}.")
    return None


def _restriction_problem(account: Account, restrictions: dict, *, subtotal: int, currency_: str,
                         email: str | None, session_id: str | None) -> str | None:
    minimum = restrictions["minimum_amount"]
    if minimum is not None and (restrictions["minimum_amount_currency"] != currency_
                                or subtotal < minimum):
        return (f"This code needs an order of at least {minimum / 100:.2f} "
                f"{restrictions['minimum_amount_currency'].upper()}.")
    if restrictions["first_time_transaction"] and has_ordered(account, email, session_id):
        return "This code is for a first order only."
    return None


def has_ordered(account: Account, email: str | None, except_session: str | None = None) -> bool:
    """Has a customer with this email completed a Checkout Session before?"""
    if not email:
        return False
    wanted = email.strip().lower()
    return any(s["status"] == "complete" and s["id"] != except_session
               and ((s["customer_details"] or {}).get("email") or "").lower() == wanted
               for s in account.sessions.values())


def refused(message: str, param: str) -> StripeError:
    """A code that cannot be redeemed, in Stripe's error shape."""
    return StripeError(message, code="coupon_expired" if message == EXPIRED else None,
                       param=param)


def redeem(account: Account, coupon_id: str, promo_id: str | None) -> None:
    """A completed session used them: one more redemption each."""
    coupon = account.coupons.get(coupon_id)
    if coupon is not None:
        coupon["times_redeemed"] += 1
        _current(account, coupon)
    if promo_id and promo_id in account.promotion_codes:
        account.promotion_codes[promo_id]["times_redeemed"] += 1
