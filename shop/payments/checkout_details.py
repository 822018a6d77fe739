"""What a completed Checkout Session tells the order: the address Stripe collected, the figures
it charged, the shipping rate chosen and the promotion code entered.

Read at the pinned API version: the address is `collected_information.shipping_details`
({name, address{line1, line2, city, state, postal_code, country}}), the phone
`customer_details.phone`, the figures `amount_subtotal`, `total_details.{amount_shipping,
amount_discount, amount_tax}` and `amount_total`, the rate `shipping_cost.shipping_rate` and the
code `discounts[0].promotion_code`. Text is stored as given, cut to its column's length (a
signed event is never refused for a long address line); the caller holds the order's lock.
"""
from shop.orders.models import ADDRESS_FIELDS, Order
from shop.payments.amount_check import Charged
from shop.shipping.services import rate_by_id

# The session metadata key the checkout lists its offered rates under (our ids, in the order
# of `shipping_options`): Stripe names the chosen rate only by the id it gave it.
OFFERED_RATES_KEY = "shipping_rate_ids"


def store(order: Order, session: dict, charged: Charged) -> None:
    """Record the session's address, figures and choices on the order; `total` becomes what
    Stripe charged (`amount_total`)."""
    order.amount_subtotal, order.amount_shipping = charged.subtotal, charged.shipping
    order.amount_discount, order.amount_tax = charged.discount, charged.tax
    order.total = charged.total
    details = (_dict(session.get("collected_information")).get("shipping_details")
               or session.get("shipping_details"))  # where API versions before 2025-03-31 put it
    details = _dict(details)
    address = _dict(details.get("address"))
    for name in ADDRESS_FIELDS:
        value = details.get("name") if name == "name" else address.get(name)
        setattr(order, f"shipping_{name}", _text(value, Order.__table__.c[f"shipping_{name}"].type.length))
    order.shipping_phone = _text(_dict(session.get("customer_details")).get("phone"), 64)
    rate_id = _id(_dict(session.get("shipping_cost")).get("shipping_rate"))
    order.shipping_rate_id = _text(rate_id, 255)
    order.shipping_rate_name = _rate_name(session, rate_id)
    discounts = session.get("discounts") or []
    promotion = _id(_dict(discounts[0]).get("promotion_code")) if isinstance(discounts, list) and discounts else None
    order.stripe_promotion_code_id = _text(promotion, 255)


def _rate_name(session: dict, rate_id: str | None) -> str | None:
    """Our rate's name: the chosen option's place among those offered names our id in metadata."""
    if not rate_id:
        return None
    chosen = _dict(session.get("shipping_cost")).get("shipping_rate")
    if isinstance(chosen, dict) and isinstance(chosen.get("display_name"), str):  # expanded
        return chosen["display_name"][:100]
    offered = [_id(_dict(option).get("shipping_rate")) for option in session.get("shipping_options") or []]
    ours = str(_dict(session.get("metadata")).get(OFFERED_RATES_KEY) or "").split(",")
    if rate_id not in offered or len(ours) != len(offered):
        return None
    rate = rate_by_id(ours[offered.index(rate_id)])
    return rate.name if rate is not None else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _id(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _text(value, length: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value[:length]
