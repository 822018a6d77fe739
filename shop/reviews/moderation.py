"""Staff at work: publish, reject, answer; the moderation queue and unanswered questions.

`set_status` is the only place an entry's status changes; it keeps the product's
denormalised rating (`rating_count`, `rating_sum`) in step with what is published.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased, joinedload

from shop.accounts.models import Staff
from shop.catalog.models import Product
from shop.db import utcnow
from shop.emails.services import queue_email
from shop.errors import Conflict, NotFound, Unprocessable
from shop.extensions import db
from shop.reviews.models import KIND_QUESTION, KIND_REVIEW, MAX_ID, PENDING, PUBLISHED, REJECTED, Entry
from shop.reviews.services import body_digest
from shop.reviews.validation import BODY_MAX, REQUIRED, clean_text, too_long

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({PUBLISHED, REJECTED}),
    PUBLISHED: frozenset({REJECTED}),  # unpublishing
    REJECTED: frozenset({PUBLISHED}),  # a moderator changing their mind
}


class InvalidEntryTransition(Conflict):
    """Back to moderation, or any other move the table above does not allow."""


def set_status(entry: Entry, new_status: str, staff: Staff, at: datetime | None = None) -> bool:
    """Move `entry` to `new_status`; False when it already is there (a no-op).

    Publishing always has a person behind it (`staff`): no code path publishes what a
    customer wrote by itself, least of all a side-effect report or a health claim.
    """
    if entry.status == new_status:
        return False
    if new_status not in TRANSITIONS[entry.status]:
        raise InvalidEntryTransition(f"A {entry.status} entry cannot become {new_status}")
    if staff is None:
        raise InvalidEntryTransition("Only a member of staff may change what is published")
    at = at or utcnow()
    counted_before = _counts_in_rating(entry)
    entry.status = new_status
    entry.moderated_at = at
    entry.moderated_by_id = staff.id
    if new_status == PUBLISHED and entry.published_at is None:
        entry.published_at = at
    counted_after = _counts_in_rating(entry)
    if counted_before != counted_after:
        sign = 1 if counted_after else -1
        # An UPDATE with expressions: two moderators publishing at once both count.
        db.session.execute(
            update(Product)
            .where(Product.id == entry.product_id)
            .values(rating_count=Product.rating_count + sign,
                    rating_sum=Product.rating_sum + sign * entry.rating)
        )
    db.session.flush()
    return True


def _counts_in_rating(entry: Entry) -> bool:
    return (entry.kind == KIND_REVIEW and entry.parent_id is None and entry.rating is not None
            and entry.status == PUBLISHED)


def lock_entry(entry_id: int) -> Entry:
    """The entry under a row lock (PostgreSQL), so two moderators never count it twice."""
    entry = None
    if 0 < entry_id <= MAX_ID:
        entry = db.session.scalar(
            select(Entry).where(Entry.id == entry_id).with_for_update()
            .execution_options(populate_existing=True)
        )
    if entry is None:
        raise NotFound("Review or question not found")
    return entry


def publish_entry(entry_id: int, staff: Staff) -> Entry:
    entry = lock_entry(entry_id)
    set_status(entry, PUBLISHED, staff)
    return entry


def reject_entry(entry_id: int, staff: Staff) -> Entry:
    entry = lock_entry(entry_id)
    set_status(entry, REJECTED, staff)
    return entry


def answer_question(entry_id: int, staff: Staff, body: str) -> Entry:
    """Publish a staff reply to a top-level entry; a question in moderation is published with
    it, and its asker is emailed once (after commit) with a link to the answer."""
    body = clean_text(body if isinstance(body, str) else None)
    if not body:
        raise Unprocessable(errors={"body": [REQUIRED]})
    if len(body) > BODY_MAX:
        raise Unprocessable(errors={"body": [too_long(BODY_MAX)]})
    question = lock_entry(entry_id)
    if question.parent_id is not None:
        raise Unprocessable("Answer the review or question itself, not a reply to it")
    if question.status == REJECTED:
        raise Conflict("This entry was rejected; publish it before answering")
    now = utcnow()
    if question.kind == KIND_QUESTION and question.status == PENDING:
        set_status(question, PUBLISHED, staff, at=now)
    answer = Entry(
        product_id=question.product_id, parent_id=question.id, kind=question.kind,
        name=staff.name or "Customer support", email=None, body=body, body_digest=body_digest(body),
        is_staff=True, staff_id=staff.id, flags={}, status=PUBLISHED, created_at=now,
        published_at=now, moderated_at=now, moderated_by_id=staff.id,
    )
    db.session.add(answer)
    db.session.flush()
    if question.kind == KIND_QUESTION and question.email:
        _email_asker(question, answer)
    return answer


def _email_asker(question: Entry, answer: Entry) -> None:
    product = question.product
    # Built from the URL map, not the request: the admin panel, the API and the CLI all answer.
    path = current_app.url_map.bind("localhost").build(
        "reviews.entry_permalink", {"slug": product.slug, "entry_id": answer.id})
    queue_email(
        "question_answered",
        question.email,
        context={
            "name": question.name,
            "product_name": product.name,
            "question": question.body,
            "answer": answer.body,
            "answer_url": current_app.config["PUBLIC_URL"] + path,
        },
        # Once per question: a second answer does not email the asker again.
        dedupe_key=f"question_answered:{question.id}",
    )


def moderation_queue_query(ordered: bool = True):
    """Entries waiting for a person, oldest first, with their product loaded (a statement;
    unordered for a caller that pages it in that order itself)."""
    query = select(Entry).where(Entry.status == PENDING).options(joinedload(Entry.product))
    return query.order_by(Entry.created_at, Entry.id) if ordered else query


def moderation_queue(limit: int = 200) -> list[Entry]:
    """The first `limit` entries of the moderation queue."""
    return list(db.session.scalars(moderation_queue_query().limit(limit)))


def unanswered_questions_query(ordered: bool = True):
    """Questions, in moderation or published, without a published staff answer; oldest first
    (a statement; unordered for a caller that pages it in that order itself)."""
    answer = aliased(Entry)
    answered = exists().where(answer.parent_id == Entry.id, answer.is_staff.is_(True),
                              answer.status == PUBLISHED)
    query = (select(Entry)
             .where(Entry.kind == KIND_QUESTION, Entry.parent_id.is_(None),
                    Entry.status.in_((PENDING, PUBLISHED)), ~answered)
             .options(joinedload(Entry.product)))
    return query.order_by(Entry.created_at, Entry.id) if ordered else query


def unanswered_questions() -> list[Entry]:
    """Questions, in moderation or published, without a published staff answer; oldest first."""
    return list(db.session.scalars(unanswered_questions_query()))
