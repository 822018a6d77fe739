"""Who bought what: the proof that makes the author of a review a verified buyer.

Typing a buyer's email address is no proof. Proof is one of:
- the order's own token (`X-Order-Token`, which only the buyer was given),
- the order page opened in this browser from the signed link emailed to the buyer,
- a signed-in customer account whose address placed such an order (`account_email`; the
  account's sign-in link proved the address),
- the confirmation link emailed to the buyer's address (`confirmation_url`), clicked.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import false, func, or_, select

from shop.catalog.models import Product
from shop.db import as_utc
from shop.extensions import db
from shop.orders.models import DELIVERED, PAID, PARTIALLY_REFUNDED, REFUNDED, SHIPPED, Order, OrderItem
from shop.orders.services import token_digest

# An order in any of these states was paid for (refunds included: the buyer did buy it).
PAID_STATUSES = (PAID, SHIPPED, DELIVERED, PARTIALLY_REFUNDED, REFUNDED)
CONFIRMATION_DAYS = 30


@dataclass(frozen=True)
class BuyerProof:
    """What a post shows of its author's purchases."""

    order_token: str | None = None  # X-Order-Token
    order_ids: tuple[int, ...] = ()  # orders this browser opened through their signed link
    account_email: str | None = None  # the signed-in customer account's address


def proven_purchase(product: Product, proof: BuyerProof | None) -> tuple[bool, datetime | None]:
    """(whether `proof` shows a paid order of `product`, the latest delivery of one or None)."""
    if proof is None:
        return False, None
    shown = [Order.id.in_(proof.order_ids)] if proof.order_ids else []
    if proof.order_token:
        shown.append(Order.token_hash == token_digest(proof.order_token))
    if proof.account_email:
        shown.append(func.lower(Order.email) == proof.account_email.lower())
    return _paid_orders_of(product, or_(false(), *shown))


def purchase_record(email: str, product: Product) -> tuple[bool, datetime | None]:
    """(whether `email` placed a paid order of `product`, the latest delivery of one or None).
    On its own this proves nothing: anyone can type an address."""
    return _paid_orders_of(product, func.lower(Order.email) == email.lower())


def _paid_orders_of(product: Product, which) -> tuple[bool, datetime | None]:
    row = db.session.execute(
        select(func.count(Order.id), func.max(Order.delivered_at))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(which, OrderItem.product_id == product.id, Order.status.in_(PAID_STATUSES))
    ).one()
    return bool(row[0]), as_utc(row[1])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="review-buyer-confirmation")


def _address_digest(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def confirmation_url(entry_id: int, email: str) -> str:
    """The signed link emailed to `email` that proves the entry's author reads that mailbox."""
    token = _serializer().dumps({"entry": entry_id, "to": _address_digest(email)})
    path = current_app.url_map.bind("localhost").build("reviews.confirm_buyer", {"token": token})
    return current_app.config["PUBLIC_URL"] + path


def confirmed_entry_id(token: str, email_of) -> int | None:
    """The entry a confirmation link names, if it is genuine, recent and still addressed to the
    entry's email (`email_of(entry_id)`); else None."""
    try:
        data = _serializer().loads(token, max_age=CONFIRMATION_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), int):
        return None
    email = email_of(data["entry"])
    if not email or _address_digest(email) != data.get("to"):
        return None
    return data["entry"]
