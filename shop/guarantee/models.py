"""Money-back guarantee claims and their audit log. Status changes only through `guarantee.states`.

An order has at most one *live* claim (open or approved), enforced by a partial unique index on
both PostgreSQL and SQLite, so two customers' tabs or two staff clicks cannot create a second.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, utcnow

OPEN = "open"
APPROVED = "approved"  # refund requested at Stripe
REFUNDED = "refunded"  # Stripe confirmed the refund (by webhook)
DENIED = "denied"
FAILED = "failed"  # Stripe refused the refund; staff may approve again
STATUSES = (OPEN, APPROVED, REFUNDED, DENIED, FAILED)
LIVE_STATUSES = (OPEN, APPROVED)

REASON_MAX = 2000
DETAILS_MAX = 4000
NOTE_MAX = 2000

_LIVE = text("status IN ('open', 'approved')")


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("requested_amount >= 0", name="requested_not_negative"),
        CheckConstraint("refunded_amount >= 0", name="refunded_not_negative"),
        CheckConstraint("approved_amount IS NULL OR approved_amount > 0", name="approved_positive"),
        CheckConstraint("status IN ('open', 'approved', 'refunded', 'denied', 'failed')",
                        name="status_known"),
        Index("uq_claims_order_live", "order_id", unique=True,
              postgresql_where=_LIVE, sqlite_where=_LIVE),
        Index("ix_claims_status_created_at", "status", "created_at"),
        # The claims list of every status, oldest first.
        Index("ix_claims_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    # What the customer tells us beyond the reason: doses reached, side effects.
    details: Mapped[str] = mapped_column(Text, default="")
    doses_reached: Mapped[int | None]
    side_effects: Mapped[str | None] = mapped_column(Text)
    requested_amount: Mapped[int]  # minor units: what was still refundable when filed
    approved_amount: Mapped[int | None]  # what staff approved (the current attempt)
    refunded_amount: Mapped[int] = mapped_column(default=0)  # confirmed by Stripe
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    # Another claim exists for the same customer email (GUARANTEE_ONE_PER_EMAIL): flag, not refuse.
    repeat_claimer: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)  # staff's note (sent to the customer on denial)
    failure_message: Mapped[str | None] = mapped_column(Text)  # Stripe's message, for staff only
    # Each approval is one attempt with its own idempotency key; a retry after failure is a new one.
    attempts: Mapped[int] = mapped_column(default=0)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order = relationship("Order")
    refund = relationship("Refund", foreign_keys=[refund_id])
    decided_by = relationship("Staff")
    audits: Mapped[list["ClaimAudit"]] = relationship(
        back_populates="claim", order_by="ClaimAudit.id", cascade="all, delete-orphan"
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Claim {self.id} order={self.order_id} {self.status}>"


class ClaimAudit(Base):
    """Who decided what, when, for how much and why; every refund's Stripe ids. Never updated."""

    __tablename__ = "claim_audits"
    # The audit log, newest first (keyset pages seek on (created_at, id)).
    __table_args__ = (Index("ix_claim_audits_created_at_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # "customer", "stripe", "staff:<email>"
    action: Mapped[str] = mapped_column(String(40))  # "filed", "approved", "denied", "refund_*"...
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict | None] = mapped_column(JSON)

    claim: Mapped[Claim] = relationship(back_populates="audits")
