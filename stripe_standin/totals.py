"""The money of a Checkout Session: subtotal, discount, shipping, tax and the total they make.

    amount_total = amount_subtotal − amount_discount + amount_shipping + amount_tax

in minor units, never negative. The discount applies to the items only, never to shipping: a
percentage rounds to the nearest unit (halves up), an amount off takes at most the subtotal.
Tax is `percentage` % of what is left of the items plus shipping (see `tax`), rounded the same
way. Each line item carries its share of the discount and of the items' tax, spread in
proportion to its amount so that the shares add up to the session's figures exactly.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Figures:
    subtotal: int
    discount: int
    shipping: int
    shipping_tax: int
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.shipping + self.tax

    @property
    def items_tax(self) -> int:
        return self.tax - self.shipping_tax


def percent_of(amount: int, percentage) -> int:
    """`percentage` % of `amount` minor units, to the nearest unit, halves rounded up."""
    exact = Decimal(amount) * Decimal(str(percentage)) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def discount_for(coupon: dict | None, subtotal: int) -> int:
    """What a coupon takes off the items' subtotal (never more than the subtotal)."""
    if coupon is None:
        return 0
    if coupon.get("percent_off") is not None:
        return min(subtotal, percent_of(subtotal, coupon["percent_off"]))
    return min(subtotal, coupon.get("amount_off") or 0)


def figures(subtotal: int, discount: int, shipping: int, percentage=None) -> Figures:
    """The session's figures; `percentage` None (automatic tax off) means no tax."""
    if not 0 <= discount <= subtotal or shipping < 0:
        raise ValueError("a discount is between 0 and the subtotal; shipping is not negative")
    if percentage is None:
        return Figures(subtotal, discount, shipping, 0, 0)
    tax = percent_of(subtotal - discount + shipping, percentage)
    # Rounding is monotonic, so the shipping's share never exceeds the whole.
    return Figures(subtotal, discount, shipping, percent_of(shipping, percentage), tax)


def spread(amount: int, weights: list[int]) -> list[int]:
    """`amount` split in proportion to `weights`, whole units that add up to `amount`.

    Largest remainders get the leftover units (earlier items first on a tie), as one would
    share a discount across invoice lines.
    """
    whole = sum(weights)
    if whole == 0:
        shares = [0] * len(weights)
        if shares:
            shares[0] = amount
        return shares
    exact = [amount * w for w in weights]
    shares = [e // whole for e in exact]
    leftover = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] % whole), i))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return shares
