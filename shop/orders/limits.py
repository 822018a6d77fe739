"""How much one client may hold of the shelf: checkouts per address, unpaid units per address or email.

Every checkout reserves stock for as long as its Stripe Checkout Session may be paid (Stripe's
minimum is 30 minutes). Without limits, two anonymous checkouts of 99 bottles empty the shelf
for everyone else, again and again. So:

- `per_ip`: a client address may start at most CHECKOUT_RATE_LIMIT checkouts (default 20/hour),
  the JSON API and the cart's form together; past it, 429 (Flask-Limiter; its counters are
  shared by every web process, see shop.limits_storage).
- `check_unpaid_units`: units held by unpaid (`pending_payment`) orders of the same client
  address or the same email address, this checkout's included, may not exceed
  CHECKOUT_MAX_UNPAID_UNITS (default 100: one checkout of the most a line may ask, 99, but not
  two; 0 turns the cap off); past it, 429 and nothing is reserved. Like every limit, it is off
  with RATELIMIT_ENABLED=false (load tests). Paying, or letting an earlier checkout expire, frees the allowance.
"""
from flask import current_app
from flask_limiter.util import get_remote_address
from sqlalchemy import String, bindparam, func, or_, select, text

from shop.db import is_postgres
from shop.errors import ShopError
from shop.extensions import db, limiter
from shop.orders.models import PENDING_PAYMENT, Order, OrderItem


class TooManyUnpaidUnits(ShopError):
    code = 429


def _checkout_limit() -> str:
    return current_app.config.get("CHECKOUT_RATE_LIMIT") or "20/hour"


per_ip = limiter.shared_limit(_checkout_limit, scope="checkout-ip", key_func=get_remote_address)


# Units held by unpaid orders of one email (or client address): built once, with bound parameters.
_HELD = (select(func.coalesce(func.sum(OrderItem.quantity * OrderItem.bottles_per_unit), 0))
         .join(Order, Order.id == OrderItem.order_id)
         .where(Order.status == PENDING_PAYMENT, Order.stock_reserved.is_(True)))
_SAME_EMAIL = func.lower(Order.email) == bindparam("email", type_=String)
_HELD_BY_EMAIL = _HELD.where(_SAME_EMAIL)
_HELD_BY_EMAIL_OR_ADDRESS = _HELD.where(or_(_SAME_EMAIL, Order.client_address == bindparam("client_address", type_=String)))
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def check_unpaid_units(email: str, client_address: str | None, units: int) -> None:
    """Refuse a checkout that would hold too many unpaid units for one client; flushes nothing.

    Two checkouts of one client must be counted one after the other. On PostgreSQL this takes a
    transaction-scoped advisory lock per address and per email, in a fixed order, before any
    product row is locked (so they cannot deadlock with the stock's row locks); on SQLite the
    caller runs it after reserving stock, when the database's write lock is already held.
    """
    limit = current_app.config["CHECKOUT_MAX_UNPAID_UNITS"]
    if not limit or not current_app.config["RATELIMIT_ENABLED"]:
        return
    keys = {f"unpaid-email:{email.lower()}"} | ({f"unpaid-ip:{client_address}"} if client_address else set())
    if is_postgres(db.session):
        for key in sorted(keys):
            db.session.execute(_ADVISORY_LOCK, {"key": key})
    statement = _HELD_BY_EMAIL_OR_ADDRESS if client_address else _HELD_BY_EMAIL
    held = db.session.scalar(statement, {"email": email.lower(), "client_address": client_address})
    if held + units > limit:
        message = (f"At most {limit} units may wait for payment at once, and {held} already do from this "
                   f"address or email. Pay for them, or let that checkout expire, then try again.")
        raise TooManyUnpaidUnits(message, errors={"items": [f"At most {max(0, limit - held)} more units until "
                                                            f"your unpaid orders are paid or expire"]})
