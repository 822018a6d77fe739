"""Customers writing: reviews, questions, replies, helpful votes. Services flush, never commit."""
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import Signer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shop.catalog.models import STEP_DOSE, Product
from shop.db import as_utc, utcnow
from shop.emails.services import queue_email
from shop.errors import NotFound, Unprocessable
from shop.extensions import db
from shop.reviews.buyers import BuyerProof, confirmation_url, confirmed_entry_id, proven_purchase, purchase_record
from shop.reviews.flags import detect_flags
from shop.reviews.listing import page_of_entry
from shop.reviews.models import KIND_REVIEW, MAX_ID, PENDING, PUBLISHED, Entry, HelpfulVote

log = logging.getLogger(__name__)

# The same author posting the same text about the same product within this window is one post.
DUPLICATE_WINDOW = timedelta(days=1)


def body_digest(body: str) -> str:
    """Case and spacing do not make a different post."""
    return hashlib.sha256(" ".join(body.lower().split()).encode()).hexdigest()


def submit_entry(
    product: Product,
    *,
    name: str,
    email: str,
    body: str,
    kind: str | None = None,
    rating: int | None = None,
    website: str | None = None,
    parent_id: int | None = None,
    proof: BuyerProof | None = None,
    now: datetime | None = None,
) -> tuple[Entry, bool]:
    """Record a review, question or reply for moderation; (entry, created).

    Input is already shaped by the API schema or the page form. A repeat of the same post
    (same email, product and text within a day) answers the first entry instead of a copy,
    so a double-clicked form or a retried request never posts twice.

    The author is a verified buyer only with `proof` of a paid order of the product
    (`shop.reviews.buyers`). An address that merely matches a buyer's is emailed a link
    that, clicked, makes the entry verified (`confirm_buyer`).
    """
    now = now or utcnow()
    if parent_id is not None:
        kind = _reply_parent(product, parent_id).kind
        rating = None
    digest = body_digest(body)
    existing = _recent_duplicate(product, email, digest, parent_id, now)
    if existing is not None:
        return existing, False
    verified, delivered_at = proven_purchase(product, proof)
    day, stage = titration_stage(product, delivered_at, now) if verified else (None, None)
    entry = Entry(
        product_id=product.id, parent_id=parent_id, kind=kind, name=name, email=email,
        website=website, rating=rating if kind == KIND_REVIEW and parent_id is None else None,
        body=body, body_digest=digest, verified_buyer=verified, titration_day=day,
        titration_stage=stage, flags=detect_flags(body), created_at=now,
        # Nothing a customer writes is published without a person reading it first; above
        # all not a side-effect report or a health claim (flags), which staff must follow up.
        status=PENDING,
    )
    db.session.add(entry)
    db.session.flush()
    if entry.flags:
        log.info("Entry %s flagged for moderation: %s", entry.id, entry.flags)
    if not verified and purchase_record(email, product)[0]:
        _ask_buyer_to_confirm(entry, product)
    return entry, True


def _ask_buyer_to_confirm(entry: Entry, product: Product) -> None:
    queue_email(
        "review_buyer_confirmation",
        entry.email,
        context={"name": entry.name, "product_name": product.name, "kind": entry.kind,
                 "confirm_url": confirmation_url(entry.id, entry.email)},
        dedupe_key=f"review_buyer_confirmation:{entry.id}",
    )


def confirm_buyer(token: str) -> Entry:
    """Mark the entry a clicked confirmation link names as written by a verified buyer (with
    the stage of the plan they had reached when writing). A second click changes nothing."""
    entry_id = confirmed_entry_id(token, lambda entry_id: getattr(find_entry(entry_id), "email", None))
    if entry_id is None:
        raise NotFound("This confirmation link is not valid, or has expired")
    entry = find_entry(entry_id)
    if entry.verified_buyer:
        return entry
    bought, delivered_at = purchase_record(entry.email, entry.product)
    if not bought:  # refunded orders still count; an erased or reassigned address does not
        raise NotFound("This confirmation link is not valid, or has expired")
    entry.verified_buyer = True
    entry.titration_day, entry.titration_stage = titration_stage(entry.product, delivered_at, as_utc(entry.created_at))
    db.session.flush()
    return entry


def find_entry(entry_id: int) -> Entry | None:
    return db.session.get(Entry, entry_id) if 0 < entry_id <= MAX_ID else None


@dataclass(frozen=True)
class EntryPlace:
    """Where a published entry shows on its product's page: its thread's kind, and its page."""

    entry_id: int
    kind: str
    page: int


def place_of_entry(product: Product, entry_id: int, per_page: int) -> EntryPlace:
    """Where a permalink leads. Only what the public sees has a place: the entry must be
    published on this product, and so must the review or question whose thread shows it."""
    entry = find_entry(entry_id)
    if entry is None or entry.product_id != product.id or entry.status != PUBLISHED:
        raise NotFound("Review or question not found")
    top = entry.parent if entry.parent_id else entry
    if top.status != PUBLISHED:
        raise NotFound("Review or question not found")
    return EntryPlace(entry.id, top.kind, page_of_entry(top, per_page))


def _reply_parent(product: Product, parent_id: int) -> Entry:
    parent = find_entry(parent_id)
    if (parent is None or parent.product_id != product.id or parent.parent_id is not None
            or parent.status != PUBLISHED):
        raise Unprocessable(errors={"parent_id": ["Not a published review or question of this product"]})
    return parent


def _recent_duplicate(product: Product, email: str, digest: str, parent_id: int | None,
                      now: datetime) -> Entry | None:
    return db.session.scalar(
        select(Entry)
        .where(
            Entry.product_id == product.id,
            Entry.email == email,
            Entry.body_digest == digest,
            Entry.parent_id.is_(None) if parent_id is None else Entry.parent_id == parent_id,
            Entry.created_at >= now - DUPLICATE_WINDOW,
        )
        .order_by(Entry.id)
        .limit(1)
    )


def titration_stage(product: Product, delivered_at: datetime | None,
                    now: datetime) -> tuple[int | None, str | None]:
    """How far along the buyer's plan was when writing: (days since delivery, label).

    The label reads "full dose since day 14" or "2 capsules nightly since day 7", from the
    product's own dose steps; a product without a plan says how long it has been taken.
    """
    if delivered_at is None or delivered_at > now:
        return None, None
    day = (now - delivered_at).days
    steps = [s for s in product.titration_steps if s.kind == STEP_DOSE and s.day <= day]
    if not steps:
        return day, f"day {day} of use"
    step = steps[-1]
    if step.capsules >= product.serving_capsules:
        dose = "full dose"
    else:
        dose = f"{step.capsules} capsule{'' if step.capsules == 1 else 's'} nightly"
    if step.day == 0:
        return day, f"{dose}, day {day}"
    return day, f"{dose} since day {step.day}"


@dataclass(frozen=True)
class Voter:
    """Who is voting "helpful": `digest` is what a vote records, `visitor` what the browser keeps
    (signed, in its visitor cookie) so that it is the same voter next time."""

    digest: str
    visitor: str


def identify_voter(visitor: str | None, remote_addr: str | None, user_agent: str) -> Voter:
    """The voter behind a click, from the signed visitor id the browser sent (if any).

    A browser without a valid visitor id is known by its address and user agent, and its new
    cookie keeps that identity: its second vote is not counted, whether it kept the cookie or
    came back from the same place without it. A vote records only an HMAC of the visitor id
    under SECRET_KEY, from which neither the address nor the cookie can be read back.
    """
    signer = _visitor_signer()
    known = signer.unsign(visitor) if visitor and signer.validate(visitor) else None
    if known is None:
        source = f"{remote_addr}|{user_agent}".encode()
        known = hashlib.sha256(source).hexdigest()[:32].encode()
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), known, hashlib.sha256).hexdigest()
    return Voter(digest=digest, visitor=signer.sign(known).decode())


def _visitor_signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="reviews-visitor")


def vote_helpful(product: Product, entry_id: int, voter: str) -> bool:
    """Count one "helpful" from `voter` (a digest); False when this visitor already voted."""
    entry = find_entry(entry_id)
    if (entry is None or entry.product_id != product.id or entry.parent_id is not None
            or entry.status != PUBLISHED):
        raise NotFound("Review not found")
    try:
        with db.session.begin_nested():
            db.session.add(HelpfulVote(entry_id=entry.id, voter=voter))
    except IntegrityError:
        return False  # the unique constraint is the arbiter, also between concurrent clicks
    db.session.execute(
        update(Entry).where(Entry.id == entry.id).values(helpful_count=Entry.helpful_count + 1)
    )
    return True

