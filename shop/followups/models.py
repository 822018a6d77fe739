"""Titration follow-ups: one row per email a customer receives after delivery.

A row is written when the order is delivered and changes state only through
`shop.followups.states.set_status`. The dispatcher reads only `scheduled` rows that are due,
through a partial index, so the idle pass every minute is a single index probe.
"""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, utcnow

# Kinds: a change of nightly dose (transactional), a check-in (marketing), the reorder reminder
# (marketing), computed from when the bottle runs out.
DOSE = "dose"
CHECKIN = "checkin"
REORDER = "reorder"
KINDS = (DOSE, CHECKIN, REORDER)
MARKETING_KINDS = (CHECKIN, REORDER)

# Statuses (API.md lists the four public ones).
SCHEDULED = "scheduled"
SENT = "sent"
SKIPPED = "skipped"  # due, but a later step of the same plan was due too (after an outage)
CANCELLED = "cancelled"  # refund, unsubscribe, or a marketing address suppressed
STATUSES = (SCHEDULED, SENT, SKIPPED, CANCELLED)


class FollowUp(Base):
    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", "kind", "step_day", name="uq_followups_step"),
        CheckConstraint("step_day >= 0", name="step_day_not_negative"),
        CheckConstraint("delay_days >= 0", name="delay_not_negative"),
        # The dispatcher's only access path: due rows that still wait. Partial, so it stays as
        # small as the backlog however many rows were sent before.
        Index(
            "ix_followups_due",
            "due_at",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
        # The dashboard's follow-ups sent today.
        Index("ix_followups_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(10), default=DOSE)
    # The plan's day (0 = the first night), as written in the product's titration plan.
    step_day: Mapped[int]
    capsules: Mapped[int]  # tonight's dose from this step on
    note: Mapped[str] = mapped_column(Text, default="")
    # The plan starts on `starts_on` (the delivery date, or the day the customer says they
    # started) and every hold adds 7 to `delay_days`; due = evening of starts_on + day + delay.
    starts_on: Mapped[date]
    delay_days: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]  # UTC
    status: Mapped[str] = mapped_column(String(10), default=SCHEDULED)
    # Set when the customer asked, from this step's email, to stay at this dose another week;
    # a second click on the same email changes nothing.
    held_at: Mapped[datetime | None]
    # Set when the customer said, from this step's email, that they started only today.
    restarted_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(100))
    # Indexed: deleting a row of the email log sets this to null on the follow-up naming it, and
    # without the index each deletion would scan every follow-up.
    email_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_messages.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed for the retention job, which deletes settled rows some time after their last change.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    order = relationship("Order")
    product = relationship("Product")

    @property
    def is_marketing(self) -> bool:
        return self.kind in MARKETING_KINDS

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} order={self.order_id} day={self.step_day} {self.kind} {self.status}>"


class RemindersOff(Base):
    """An order whose customer turned its dosing reminders off (the account page, or a dose
    email's unsubscribe link). The dispatcher cancels the order's dose steps as they come due
    (reason `reminders off`); deleting the row turns them back on for the steps still waiting."""

    __tablename__ = "followup_reminders_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
