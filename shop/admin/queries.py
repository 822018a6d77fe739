"""Read-only look-ups behind the admin screens: searches, one order's whole story, the audit log.

Nothing here changes data or decides anything; the decisions are the domains' services.
Each function loads what its page shows in a fixed number of queries, however long the lists,
and each long list is read a page at a time by keyset (`shop.pagination.keyset_page`) through
an index in the list's order (migration 0013 names them; tests/admin/test_query_plans.py checks
each plan on PostgreSQL). A search by email matches the start of the lower-cased address, which
the `lower(email)` indexes answer; a match anywhere inside it could only be a full scan.
"""
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from shop.catalog.services import escape_like
from shop.emails.models import EmailMessage
from shop.errors import NotFound
from shop.extensions import db
from shop.followups.models import FollowUp
from shop.guarantee.models import STATUSES as CLAIM_STATUSES
from shop.guarantee.models import Claim, ClaimAudit
from shop.orders.models import STATUSES, Order, OrderEvent
from shop.pagination import Cursor, KeysetPage, SortKey, keyset_page
from shop.payments.models import Refund
from shop.reviews.models import Entry
from shop.reviews.moderation import moderation_queue_query, unanswered_questions_query

# Each list's order; the index on the same columns serves both its pages and its seeks.
NEWEST_ORDERS = SortKey((Order.created_at, Order.id), descending=True)
NEWEST_EMAILS = SortKey((EmailMessage.id,), descending=True)
NEWEST_AUDITS = SortKey((ClaimAudit.created_at, ClaimAudit.id), descending=True)
OLDEST_CLAIMS = SortKey((Claim.created_at, Claim.id))
OLDEST_ENTRIES = SortKey((Entry.created_at, Entry.id))

# An order's story shows the latest of each kind of row; an order with more (a long dispute,
# a webhook storm) says so and the rest stays in the database.
STORY_LIMIT = 200


def email_starts_with(column, text: str):
    """`column` (an email address) starts with `text`, letter case aside: the condition the
    `lower(...)` prefix indexes answer (text_pattern_ops on PostgreSQL)."""
    return func.lower(column).like(f"{escape_like(text.lower())}%", escape="\\")


def orders_query(q: str = "", status: str = "") -> Select:
    """Orders matching a search: `q` is an order number (123 or #123) or the start of the
    customer's email; `status` one of the order statuses (anything else: every status)."""
    query = select(Order)
    q = (q or "").strip()
    if q:
        number = q.lstrip("#")
        if number.isdigit() and len(number) < 10:
            query = query.where(Order.id == int(number))
        else:
            query = query.where(email_starts_with(Order.email, q))
    if status in STATUSES:
        query = query.where(Order.status == status)
    return query


def search_orders(q: str = "", status: str = "", cursor: Cursor = Cursor(), per_page: int = 50) -> KeysetPage:
    """Newest first (see `orders_query` for the search)."""
    return keyset_page(orders_query(q, status), NEWEST_ORDERS, cursor, per_page)


def moderation_queue(cursor: Cursor = Cursor(), per_page: int = 50) -> KeysetPage:
    """One page of the entries waiting for moderation, oldest first."""
    return keyset_page(moderation_queue_query(ordered=False), OLDEST_ENTRIES, cursor, per_page)


def unanswered_questions(cursor: Cursor = Cursor(), per_page: int = 50) -> KeysetPage:
    """One page of the questions without a staff answer, oldest first."""
    return keyset_page(unanswered_questions_query(ordered=False), OLDEST_ENTRIES, cursor, per_page)


@dataclass
class OrderStory:
    order: Order
    events: list[OrderEvent]
    refunds: list[Refund]
    claims: list[Claim]
    followups: list[FollowUp]
    emails: list[EmailMessage]

    @property
    def truncated(self) -> bool:
        """Some list holds STORY_LIMIT rows: older ones are not shown."""
        return any(len(rows) >= STORY_LIMIT for rows in (self.events, self.followups, self.emails))


def order_story(order_id: int) -> OrderStory:
    """The order with its items and timeline, refunds, claims, follow-ups and emails (the latest
    STORY_LIMIT of each of the lists that may grow long, in their usual order)."""
    order = db.session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items)))
    if order is None:
        raise NotFound("Order not found")
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)).all()
    claims = db.session.scalars(select(Claim).where(Claim.order_id == order_id).order_by(Claim.id)).all()
    return OrderStory(order, _latest(OrderEvent, order_id, OrderEvent.id), list(refunds), list(claims),
                      _latest(FollowUp, order_id, FollowUp.due_at, FollowUp.id),
                      _latest(EmailMessage, order_id, EmailMessage.id))


def _latest(model, order_id: int, *order_by) -> list:
    """The order's last STORY_LIMIT rows of `model`, shown first to last."""
    rows = list(db.session.scalars(select(model).where(model.order_id == order_id)
                                   .order_by(*[column.desc() for column in order_by]).limit(STORY_LIMIT)))
    rows.reverse()
    return rows


def emails_query(to: str = "", status: str = "", kind: str = "") -> Select:
    """The email log filtered: `to` matches the start of the address, `kind` a kind's start."""
    query = select(EmailMessage)
    if kind:
        query = query.where(EmailMessage.kind.like(f"{escape_like(kind)}%", escape="\\"))
    to = (to or "").strip()
    if to:
        query = query.where(email_starts_with(EmailMessage.to, to))
    if status:
        query = query.where(EmailMessage.status == status)
    return query


def search_emails(to: str = "", status: str = "", kind: str = "", cursor: Cursor = Cursor(),
                  per_page: int = 50) -> KeysetPage:
    """The email log, newest first (see `emails_query` for the filters)."""
    return keyset_page(emails_query(to, status, kind), NEWEST_EMAILS, cursor, per_page)


def get_email(message_id: int) -> EmailMessage:
    message = db.session.get(EmailMessage, message_id)
    if message is None:
        raise NotFound("Email not found")
    return message


def claims_query(status: str | None) -> Select:
    """Claims of one status (every status for none)."""
    query = select(Claim)
    if status in CLAIM_STATUSES:
        query = query.where(Claim.status == status)
    return query


def claims_queue(status: str | None, cursor: Cursor = Cursor(), per_page: int = 50
                 ) -> tuple[KeysetPage, dict[int, Order]]:
    """One page of claims oldest first (the queue support works through), and their orders by
    id, in one query for all rows instead of one per row."""
    result = keyset_page(claims_query(status), OLDEST_CLAIMS, cursor, per_page)
    order_ids = {claim.order_id for claim in result.items}
    orders = db.session.scalars(select(Order).where(Order.id.in_(order_ids))).all() if order_ids else []
    return result, {order.id: order for order in orders}


def audit_query() -> Select:
    return select(ClaimAudit).options(selectinload(ClaimAudit.claim))


def audit_log(cursor: Cursor = Cursor(), per_page: int = 100) -> KeysetPage:
    """Every claim decision and refund event, newest first."""
    return keyset_page(audit_query(), NEWEST_AUDITS, cursor, per_page)
