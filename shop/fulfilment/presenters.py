"""The Order as API.md shows it; the same shape the customer's order API answers."""
from shop.db import as_utc
from shop.followups.services import order_followups
from shop.orders.models import Order


def _iso(value):
    return as_utc(value).isoformat() if value is not None else None


def order_dict(order: Order) -> dict:
    from shop.guarantee.services import order_claims

    return {
        "id": order.id, "status": order.status, "email": order.email,
        "items": [{"slug": i.slug, "name": i.name, "quantity": i.quantity, "unit_price": i.unit_price}
                  for i in order.items],
        "total": order.total, "currency": order.currency,
        "paid_at": _iso(order.paid_at), "shipped_at": _iso(order.shipped_at),
        "delivered_at": _iso(order.delivered_at), "refunded_total": order.refunded_total,
        "followups": order_followups(order), "claims": order_claims(order),
    }
