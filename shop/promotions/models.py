"""A promotion code: a percentage or an amount off, as Stripe applies it at Checkout."""
from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, as_utc, utcnow


class PromotionCode(Base):
    __tablename__ = "promotion_codes"
    __table_args__ = (
        CheckConstraint("(percent_off IS NULL) <> (amount_off IS NULL)", name="one_discount"),
        CheckConstraint("percent_off > 0 AND percent_off <= 100", name="percent_off_range"),
        CheckConstraint("amount_off > 0", name="amount_off_positive"),
        CheckConstraint("amount_off IS NULL OR currency IS NOT NULL", name="amount_has_currency"),
        CheckConstraint("max_redemptions > 0", name="max_redemptions_positive"),
        CheckConstraint("times_redeemed >= 0", name="times_redeemed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Upper-cased when saved: codes are case-insensitive (WELCOME10 = welcome10), as at Stripe.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    percent_off: Mapped[int | None]
    amount_off: Mapped[int | None]  # minor units of `currency`
    currency: Mapped[str | None] = mapped_column(String(3))
    expires_at: Mapped[datetime | None]
    max_redemptions: Mapped[int | None]
    first_order_only: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    stripe_coupon_id: Mapped[str | None] = mapped_column(String(255))
    stripe_promotion_code_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Why Stripe refused the code when it was last pushed (for staff; cleared once it exists).
    stripe_error: Mapped[str | None] = mapped_column(Text)
    # Paid orders that used the code (counted by the webhook, once per order).
    times_redeemed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def at_stripe(self) -> bool:
        return self.stripe_promotion_code_id is not None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and as_utc(self.expires_at) <= (now or utcnow())

    @property
    def exhausted(self) -> bool:
        return self.max_redemptions is not None and self.times_redeemed >= self.max_redemptions

    def __repr__(self) -> str:
        return f"<PromotionCode {self.code}>"
