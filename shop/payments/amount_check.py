"""Did Stripe charge what the order asked for? Checked before a completed session pays an order.

The Checkout Session's `currency` and `amount_subtotal` (the line items, before discounts,
shipping and tax) must be the order's own; shipping, a promotion code and tax then make its
`amount_total`, which Stripe computed and the order records (`charged_amounts`). When they are not (a session edited in the Stripe
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
        if charged_amounts(session) is not None:
            return None
        return Mismatch(
            reason=(f"Stripe's session {session.get('id')} does not say what it charged in all "
                    "(amount_total, total_details); the order stays unpaid: check the payment in the "
                    "Stripe dashboard, then refund it or settle the order by hand"),
            figures={"session_id": session.get("id"), "amount_total": session.get("amount_total"),
                     "total_details": session.get("total_details")},
        )
    said = format_money(charged, charged_currency) if charged is not None and charged_currency else "no amount"
    return Mismatch(
        reason=(f"Stripe charged {said} for the items of session "
                f"{session.get('id')}, but the order's items come to {format_money(expected, currency)}; "
                "the order stays unpaid: check the payment in the Stripe dashboard, then refund it "
                "or settle the order by hand"),
        figures={"session_id": session.get("id"), "charged": charged, "charged_currency": charged_currency,
                 "expected": expected, "expected_currency": currency},
    )


@dataclass(frozen=True)
class Charged:
    """What a completed Checkout Session charged, in minor units (Stripe computed every figure)."""
    subtotal: int  # the items, before discounts, shipping and tax (`amount_subtotal`)
    shipping: int  # `total_details.amount_shipping`
    discount: int  # `total_details.amount_discount`
    tax: int  # `total_details.amount_tax`
    total: int  # what the customer paid (`amount_total`)

    @property
    def adds_up(self) -> bool:
        return self.subtotal - self.discount + self.shipping + self.tax == self.total


def charged_amounts(session: dict) -> Charged | None:
    """Stripe's figures from the session; None without a whole `amount_subtotal`/`amount_total`.

    A `total_details` figure Stripe leaves null (no shipping offered, no code entered) is 0.
    """
    subtotal, total = session.get("amount_subtotal"), session.get("amount_total")
    if not (_whole(subtotal) and _whole(total)):
        return None
    details = session.get("total_details") or {}
    parts = [details.get(name) or 0 for name in ("amount_shipping", "amount_discount", "amount_tax")]
    if not all(_whole(part) for part in parts):
        return None
    shipping, discount, tax = parts
    return Charged(subtotal=subtotal, shipping=shipping, discount=discount, tax=tax, total=total)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
