"""Did Stripe charge what the order asked for? Checked before a completed session pays an order.

The Checkout Session's `currency` and `amount_subtotal` (the line items, before discounts,
shipping and tax) must be the order's own. When they are not (a session edited in the Stripe
dashboard, a price changed between checkout and payment, a bug), the order stays unpaid, sends
no confirmation, and is flagged for staff with both figures: a person decides what to do.
"""
from dataclasses import dataclass

from shop.money import format_money
from shop.orders.models import Order


@dataclass(frozen=True)
class Mismatch:
    reason: str  # for staff, both figures in words
    figures: dict  # both figures in minor units, for the order's timeline


def order_subtotal(order: Order) -> int:
    """What the order's lines cost, in minor units of its currency."""
    return sum(item.line_total for item in order.items)


def charge_mismatch(order: Order, session: dict) -> Mismatch | None:
    """None when the session charged the order's currency and subtotal; otherwise why not."""
    expected, currency = order_subtotal(order), order.currency.lower()
    charged, charged_currency = session.get("amount_subtotal"), (session.get("currency") or "").lower()
    if (charged, charged_currency) == (expected, currency):
        return None
    said = format_money(charged, charged_currency) if charged is not None and charged_currency else "no amount"
    return Mismatch(
        reason=(f"Stripe charged {said} for the items of session "
                f"{session.get('id')}, but the order's items come to {format_money(expected, currency)}; "
                "the order stays unpaid: check the payment in the Stripe dashboard, then refund it "
                "or settle the order by hand"),
        figures={"session_id": session.get("id"), "charged": charged, "charged_currency": charged_currency,
                 "expected": expected, "expected_currency": currency},
    )
