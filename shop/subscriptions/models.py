"""A customer's subscription to one product: Stripe bills it, the shop times and ships it."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, utcnow
from shop.orders.models import ShippingAddress  # the address a renewal ships to: a copy of the first order's

# Stripe's subscription statuses, stored as Stripe last told us.
ACTIVE = "active"
TRIALING = "trialing"
PAST_DUE = "past_due"
CANCELED = "canceled"
INCOMPLETE = "incomplete"
INCOMPLETE_EXPIRED = "incomplete_expired"  # its checkout ended unpaid
# The shop's word for Stripe's `active`/`trialing` with `pause_collection` set: nothing is billed
# or shipped until the subscriber resumes.
PAUSED = "paused"


class Subscription(ShippingAddress, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="subscription_quantity_positive"),
        CheckConstraint("interval_days > 0", name="subscription_interval_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The order that started it (paid by the Checkout Session); renewals point back by
    # `Order.subscription_id`.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # None until paid
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[int]  # minor units, the discounted price Stripe bills each renewal at
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30), default=INCOMPLETE)
    interval_days: Mapped[int]
    next_renewal_on: Mapped[date | None]
    # When Stripe bills next, as it last said (`current_period_end` / `trial_end`, UTC).
    next_billing_at: Mapped[datetime | None]
    canceled_at: Mapped[datetime | None]  # when Stripe cancelled it (churn counts these)
    # A renewal date Stripe refused or could not take yet: asked again until it does
    # (`services.retry_pending_moves`); the customer's page shows it as pending.
    pending_renewal_on: Mapped[date | None] = mapped_column(index=True)
    pending_since: Mapped[datetime | None]
    # The renewal date the "your next bottle ships on" notice was sent for: a moved renewal
    # gets a notice of its own.
    renewal_notice_for: Mapped[date | None]
    # The latest renewal invoice Stripe failed to collect, as its `invoice.payment_failed` said
    # (staff see the attempt and Stripe's next retry); cleared when that invoice is paid.
    payment_failed_invoice_id: Mapped[str | None] = mapped_column(String(255))
    payment_attempt_count: Mapped[int | None]
    payment_next_attempt_at: Mapped[datetime | None]  # None after Stripe's last attempt
    payment_failed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Subscription {self.id} {self.stripe_subscription_id} {self.status}>"
