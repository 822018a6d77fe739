"""What Stripe told us (events, by id, once) and the refunds made against orders."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, utcnow

REFUND_PENDING = "pending"
REFUND_SUCCEEDED = "succeeded"
REFUND_FAILED = "failed"
REFUND_CANCELED = "canceled"
# Events that named no order we know of yet (a charge before its checkout was paid): the paying
# webhook asks for them every time, so they get an index of their own (`ix_stripe_events_parked`).
UNKNOWN_ORDER = "unknown order"  # the outcome of such an event
PARKED = f"order_id IS NULL AND outcome = '{UNKNOWN_ORDER}'"


class StripeEvent(Base):
    """Every verified webhook event, recorded by Stripe's id before it acts (unique: once)."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        # Partial: only the parked events, not the ones ignored (no order either, kept for
        # STRIPE_EVENT_RETENTION_DAYS) nor the old versions of rows that a webhook inserted
        # without an order and then finished, which an index on order_id keeps until VACUUM
        # and which a paying webhook would otherwise walk through each time.
        Index("ix_stripe_events_parked", "received_at", postgresql_where=text(PARKED), sqlite_where=text(PARKED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    livemode: Mapped[bool] = mapped_column(default=False)
    stripe_created: Mapped[datetime | None]
    # Indexed for the retention job (events are deleted once Stripe can no longer redeliver them).
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))  # "paid", "ignored", "unknown order", ...
    payload: Mapped[dict | None] = mapped_column(JSON)


class Refund(Base):
    """A refund at Stripe against an order; `claim_id` when a guarantee claim asked for it.

    A refund made in the Stripe dashboard arrives by webhook and is recorded without a claim.
    One staff made outside any claim (`staff_refunds`) records who asked and why.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # The dashboard's refunds confirmed in the last 30 days.
        Index("ix_refunds_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int | None] = mapped_column(index=True)  # FK added by the guarantee domain's model
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int]  # minor units
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    status: Mapped[str] = mapped_column(String(20), default=REFUND_PENDING)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Whether `amount` is counted in the order's refunded_total (succeeded refunds only).
    counted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    data: Mapped[dict | None] = mapped_column(JSON)
    # A refund staff made outside any claim: who asked for it and why (the order's timeline
    # has the same, with the idempotency key).
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
