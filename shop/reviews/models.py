"""Reviews and questions on a product page, their replies, and helpful votes.

Text is stored exactly as written (plain text, never HTML) and escaped wherever it is shown.
Status changes only through `shop.reviews.moderation.set_status`.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Product
from shop.db import Base, utcnow

KIND_REVIEW = "review"
KIND_QUESTION = "question"
KINDS = (KIND_REVIEW, KIND_QUESTION)

PENDING = "pending"
PUBLISHED = "published"
REJECTED = "rejected"
STATUSES = (PENDING, PUBLISHED, REJECTED)

# Ids are 32-bit integers in the database: a larger one in a URL or a body names no entry
# (and must not reach PostgreSQL, which would refuse the comparison).
MAX_ID = 2**31 - 1

# Partial indexes' conditions: a question (not a reply), a published staff answer.
TOP_LEVEL_QUESTION = "kind = 'question' AND parent_id IS NULL"
STAFF_ANSWER = "is_staff IS true AND status = 'published'"

# Keys of `Entry.flags`: what a moderator must look at before publishing.
FLAG_HEALTH_CLAIM = "health_claim"
FLAG_SIDE_EFFECT = "side_effect"


class Entry(Base):
    """A review or a question (top level), or a reply to one (`parent_id`, one level deep).

    A reply takes the kind of the entry it answers. Staff answers are replies with `is_staff`.
    """

    __tablename__ = "review_entries"
    # Publishing or rejecting changes what catalogue pages show (ratings, counts).
    __affects_catalogue__ = True
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_one_to_five"),
        CheckConstraint("helpful_count >= 0", name="helpful_not_negative"),
        # The product page: published top-level entries of a kind, newest first.
        Index("ix_review_entries_listing", "product_id", "status", "kind", "parent_id", "created_at"),
        # Duplicate-post detection: same author, same product, same text.
        Index("ix_review_entries_duplicates", "product_id", "email", "body_digest"),
        # The moderation queue, oldest first (keyset pages seek on (created_at, id)).
        Index("ix_review_entries_status_created_at_id", "status", "created_at", "id"),
        # Questions without a staff answer: the admin's list, oldest first, and the dashboard's
        # count, which merges the questions' ids with the ids the staff answers reply to.
        Index("ix_review_entries_questions", "created_at", "id",
              postgresql_where=text(TOP_LEVEL_QUESTION), sqlite_where=text(TOP_LEVEL_QUESTION)),
        Index("ix_review_entries_question_ids", "id",
              postgresql_where=text(TOP_LEVEL_QUESTION), sqlite_where=text(TOP_LEVEL_QUESTION)),
        Index("ix_review_entries_staff_answers", "parent_id",
              postgresql_where=text(STAFF_ANSWER), sqlite_where=text(STAFF_ANSWER)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_entries.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    name: Mapped[str] = mapped_column(String(80))
    # Never shown to the public; lower-cased. None for staff answers.
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[int | None]
    body: Mapped[str] = mapped_column(Text)
    # SHA-256 of the normalised body, to spot the same post sent twice.
    body_digest: Mapped[str] = mapped_column(String(64))
    # The email had a paid order of this product when the entry was written.
    verified_buyer: Mapped[bool] = mapped_column(default=False)
    # Days since the buyer's delivery when writing, and the titration stage reached
    # ("full dose since day 14"); None when unknown (not delivered, not a buyer).
    titration_day: Mapped[int | None]
    titration_stage: Mapped[str | None] = mapped_column(String(80))
    is_staff: Mapped[bool] = mapped_column(default=False)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # {"health_claim": ["cures insomnia"], "side_effect": ["vivid dreams"]}; {} when clean.
    flags: Mapped[dict] = mapped_column(JSON, default=dict)
    helpful_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship()
    parent: Mapped["Entry | None"] = relationship(remote_side=[id])

    @property
    def flagged(self) -> bool:
        return any(self.flags.values()) if self.flags else False

    def __repr__(self) -> str:
        return f"<Entry {self.id} {self.kind} {self.status}>"


# A customer's data request finds their reviews and questions by address.
Index("ix_review_entries_email_lower", func.lower(Entry.email).label("email_lower"))


class HelpfulVote(Base):
    """One "helpful" per visitor and entry; visitors have no account, so `voter` is a digest
    of a signed visitor cookie (or, before the cookie exists, of IP address and user agent)."""

    __tablename__ = "review_helpful_votes"
    __table_args__ = (UniqueConstraint("entry_id", "voter", name="uq_review_helpful_votes_entry_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("review_entries.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
