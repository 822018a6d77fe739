"""Guarantee use cases: file, approve, deny, confirm. They flush; the caller commits."""
from sqlalchemy import select

from shop.db import as_utc
from shop.extensions import db
from shop.guarantee.models import Claim
from shop.orders.models import Order


def claim_dict(claim: Claim) -> dict:
    """A claim as API.md shows it."""
    return {
        "id": claim.id,
        "order_id": claim.order_id,
        "status": claim.status,
        "reason": claim.reason,
        "requested_amount": claim.requested_amount,
        "refunded_amount": claim.refunded_amount,
        "created_at": as_utc(claim.created_at).isoformat(),
    }


def order_claims(order: Order) -> list[dict]:
    """The order's claims, oldest first, shaped like API.md's Claim (the order API embeds them)."""
    claims = db.session.scalars(select(Claim).where(Claim.order_id == order.id).order_by(Claim.id))
    return [claim_dict(claim) for claim in claims]
