"""Promotion codes: the admin's edits, their twins at Stripe, and redemptions counted locally.

Stripe decides at Checkout whether a code applies (expiry, limit, first order) and computes the
discount; the shop keeps the code's settings, pushes them to Stripe, and counts the paid orders
that used it. Functions flush unless their docstring says they commit.
"""
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from shop.db import as_utc, utcnow
from shop.errors import NotFound, Unprocessable
from shop.extensions import db
from shop.money import is_currency
from shop.payments import stripe_gateway
from shop.promotions.models import PromotionCode

log = logging.getLogger(__name__)

# What Stripe takes as a code (letters, digits, dashes); kept short enough to read aloud.
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")
MAX_AMOUNT = 99_999_999
MAX_REDEMPTIONS = 2**31 - 1
CODE_FIELDS = ("code", "percent_off", "amount_off", "currency", "expires_at", "max_redemptions",
               "first_order_only")


@dataclass(frozen=True)
class Pushed:
    """What pushing a code to Stripe came to: `problem` is None when it exists there now."""
    code: PromotionCode
    problem: str | None = None


def list_codes() -> list[PromotionCode]:
    return list(db.session.scalars(
        select(PromotionCode).order_by(PromotionCode.active.desc(), PromotionCode.code)))


def get_code(code_id: int) -> PromotionCode:
    code = db.session.get(PromotionCode, code_id)
    if code is None:
        raise NotFound("Promotion code not found")
    return code


def find_code(text: str) -> PromotionCode | None:
    """The code a customer or the seed names, whatever its case."""
    return db.session.scalar(select(PromotionCode).where(PromotionCode.code == (text or "").strip().upper()))


def create_code(fields: dict) -> PromotionCode:
    """Record a new code (not yet at Stripe); flushes. See `create_and_push` for the admin's use."""
    values = _checked(fields)
    if find_code(values["code"]) is not None:
        raise Unprocessable("Please correct the highlighted fields",
                            errors={"code": ["Another promotion code uses this code"]})
    code = PromotionCode(**values)
    db.session.add(code)
    db.session.flush()
    return code


def create_and_push(fields: dict) -> Pushed:
    """A new code, recorded and then created at Stripe (coupon + promotion code).

    Commits the new row before calling Stripe: the idempotency keys derive from its id, so a
    retry after a crash or a timeout never creates a second coupon. When Stripe cannot be
    reached the code stays recorded and is pushed at the next checkout (`push_pending`);
    when Stripe refuses it, why is kept on the code for staff.
    """
    code = create_code(fields)
    db.session.commit()
    return push_to_stripe(code)


def push_to_stripe(code: PromotionCode) -> Pushed:
    """Create the code's coupon and promotion code at Stripe unless they exist; flushes."""
    if code.at_stripe:
        return Pushed(code)
    if code.expired():
        return Pushed(code, "The code has expired; Stripe takes no code that expires in the past")
    try:
        if code.stripe_coupon_id is None:
            coupon = stripe_gateway.create_coupon(_coupon_params(code), _key(code, "coupon"))
            code.stripe_coupon_id = coupon["id"]
            db.session.flush()
        promotion = stripe_gateway.create_promotion_code(_promotion_params(code), _key(code, "code"))
    except stripe_gateway.PaymentProviderError as exc:
        if exc.declined:  # Stripe refused these parameters: retrying changes nothing
            code.stripe_error = (exc.detail or exc.message)[:2000]
            db.session.flush()
            log.warning("Stripe refused promotion code %s: %s", code.code, exc.detail)
            return Pushed(code, f"Stripe refused the code: {exc.detail or exc.message}")
        log.warning("Promotion code %s not pushed to Stripe yet: %s", code.code, exc.detail)
        return Pushed(code, "Stripe could not be reached; the code is created there at the next checkout")
    code.stripe_promotion_code_id = promotion["id"]
    code.stripe_error = None
    db.session.flush()
    return Pushed(code)


def retry_push(code: PromotionCode) -> Pushed:
    """Staff ask again after Stripe refused a code (having fixed the cause at Stripe)."""
    code.stripe_error = None
    return push_to_stripe(code)


def forget_stripe_ids() -> int:
    """Treat every active code as not yet at Stripe (a reset local stand-in); returns how many.

    The next push creates their coupons and codes again, under the same idempotency keys: a
    Stripe that still remembers them answers with the objects it made before, just as well.
    """
    codes = db.session.scalars(select(PromotionCode).where(PromotionCode.active.is_(True))).all()
    for code in codes:
        code.stripe_coupon_id = code.stripe_promotion_code_id = code.stripe_error = None
    db.session.flush()
    return len(codes)


# Every checkout asks (built once).
_PENDING = select(PromotionCode).where(
    PromotionCode.active.is_(True), PromotionCode.stripe_promotion_code_id.is_(None),
    PromotionCode.stripe_error.is_(None)).order_by(PromotionCode.id)


def pending_codes() -> list[PromotionCode]:
    """Active codes that do not exist at Stripe yet and that Stripe has not refused."""
    codes = db.session.scalars(_PENDING).all()
    return [code for code in codes if not code.expired()]


def set_active(code: PromotionCode, active: bool) -> None:
    """Stop (or resume) taking the code: at Stripe first (`active`), then here.

    Raises PaymentProviderError when Stripe failed or refused (a code whose coupon has run out
    cannot be reactivated there); nothing changes here then.
    """
    if bool(active) == code.active:
        return
    if code.at_stripe:
        stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
        stripe_gateway.update_promotion_code(code.stripe_promotion_code_id, {"active": bool(active)},
                                             _key(code, f"active-{int(bool(active))}-{stamp}"))
    code.active = bool(active)
    db.session.flush()


def count_redemption(order) -> None:
    """A paid order used a code (Stripe's id on the order): count it once, name it on the order.

    Runs when the order becomes paid (`payments.signals.order_paid`), which happens once per
    order; the count is one UPDATE, so concurrent payments never lose one.
    """
    if not order.stripe_promotion_code_id:
        return
    code = db.session.scalar(select(PromotionCode).where(
        PromotionCode.stripe_promotion_code_id == order.stripe_promotion_code_id))
    if code is None:
        return  # a code made in Stripe's dashboard: its id is on the order, nothing to count here
    db.session.execute(update(PromotionCode).where(PromotionCode.id == code.id)
                       .values(times_redeemed=PromotionCode.times_redeemed + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(code, ["times_redeemed"])
    order.promotion_code = code.code


def ensure_code(code: str, **fields) -> tuple[PromotionCode, bool]:
    """The code (created from `fields` when missing, not pushed); for the demo seed."""
    existing = find_code(code)
    if existing is not None:
        return existing, False
    return create_code({"code": code, **fields}), True


def _key(code: PromotionCode, what: str) -> str:
    """Idempotency key from the row; its creation time keeps it unique if ids restart."""
    return f"promotion-{code.id}-{what}-{as_utc(code.created_at):%Y%m%d%H%M%S%f}"


def _coupon_params(code: PromotionCode) -> dict:
    params: dict = {"duration": "once", "name": code.code[:40], "metadata": {"promotion_code_id": str(code.id)}}
    if code.percent_off is not None:
        params["percent_off"] = code.percent_off
    else:
        params.update(amount_off=code.amount_off, currency=code.currency)
    return params


def _promotion_params(code: PromotionCode) -> dict:
    params: dict = {
        "promotion": {"type": "coupon", "coupon": code.stripe_coupon_id},
        "code": code.code,
        "metadata": {"promotion_code_id": str(code.id)},
    }
    if code.expires_at is not None:
        params["expires_at"] = int(as_utc(code.expires_at).timestamp())
    if code.max_redemptions is not None:
        params["max_redemptions"] = code.max_redemptions
    if code.first_order_only:
        params["restrictions"] = {"first_time_transaction": True}
    return params


def _checked(fields: dict) -> dict:
    """The fields as stored, or Unprocessable naming each bad one (nothing is recorded)."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    text = (fields.get("code") or "").strip().upper()
    if not text:
        fail("code", "Required field missing")
    elif not CODE_PATTERN.match(text):
        fail("code", "2 to 40 letters, digits or dashes, starting with a letter or digit")
    percent, amount = fields.get("percent_off"), fields.get("amount_off")
    currency = (fields.get("currency") or "").strip().lower() or None
    if (percent is None) == (amount is None):
        fail("percent_off", "Give either a percentage or an amount off")
    elif percent is not None:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            fail("percent_off", "A whole percentage from 1 to 100")
        currency = None
    else:
        if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
            fail("amount_off", "A positive amount")
        if not currency or not is_currency(currency):
            fail("currency", "The currency of the amount off, e.g. usd")
    expires_at = fields.get("expires_at")
    if expires_at is not None:
        if not isinstance(expires_at, datetime):
            fail("expires_at", "A date and time")
        elif as_utc(expires_at) <= utcnow():
            fail("expires_at", "A time in the future")
    limit = fields.get("max_redemptions")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 1 <= limit <= MAX_REDEMPTIONS):
        fail("max_redemptions", "At least 1 (leave empty for no limit)")
    if errors:
        raise Unprocessable("Please correct the highlighted fields", errors=errors)
    return {"code": text, "percent_off": percent, "amount_off": amount, "currency": currency,
            "expires_at": as_utc(expires_at) if expires_at else None, "max_redemptions": limit,
            "first_order_only": bool(fields.get("first_order_only"))}
