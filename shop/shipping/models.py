"""A shipping rate: a fixed price per order in one currency, with a delivery estimate."""
from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, utcnow
from shop.money import DEFAULT_CURRENCY


class ShippingRate(Base):
    __tablename__ = "shipping_rates"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("free_over >= 0", name="free_over_not_negative"),
        CheckConstraint("min_business_days >= 1", name="min_days_positive"),
        CheckConstraint("max_business_days >= min_business_days", name="days_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # what Stripe's page shows ("Express")
    amount: Mapped[int]  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    # Delivery estimate in business days (either may be unknown).
    min_business_days: Mapped[int | None]
    max_business_days: Mapped[int | None]
    # Offered at 0 when the order's items come to at least this much (None: never free).
    free_over: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)  # lower first; the first is preselected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<ShippingRate {self.id} {self.name} {self.amount} {self.currency}>"
