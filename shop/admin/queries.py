"""Read-only look-ups behind the admin screens: searches, one order's whole story, the audit log.

Nothing here changes data or decides anything; the decisions are the domains' services.
Each function loads what its page shows in a fixed number of queries, however long the lists.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shop.catalog.services import escape_like
from shop.emails.models import EmailMessage
from shop.errors import NotFound
from shop.extensions import db
from shop.followups.models import FollowUp
from shop.guarantee.models import Claim, ClaimAudit
from shop.orders.models import STATUSES, Order
from shop.pagination import Page, paginate
from shop.payments.models import Refund
from shop.reviews.moderation import moderation_queue_query


def search_orders(q: str = "", status: str = "", page: int = 1, per_page: int = 50) -> Page:
    """Newest first. `q` is an order number (123 or #123) or part of the customer's email."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    q = (q or "").strip()
    if q:
        number = q.lstrip("#")
        if number.isdigit() and len(number) < 10:
            query = query.where(Order.id == int(number))
        else:
            query = query.where(func.lower(Order.email).like(f"%{escape_like(q.lower())}%", escape="\\"))
    if status in STATUSES:
        query = query.where(Order.status == status)
    return paginate(query, page, per_page)


def moderation_queue(page: int = 1, per_page: int = 50) -> Page:
    """One page of the entries waiting for moderation, oldest first."""
    return paginate(moderation_queue_query(), page, per_page)


@dataclass
class OrderStory:
    order: Order
    refunds: list[Refund]
    claims: list[Claim]
    followups: list[FollowUp]
    emails: list[EmailMessage]


def order_story(order_id: int) -> OrderStory:
    """The order with its items and timeline, refunds, claims, follow-ups and emails."""
    order = db.session.scalar(
        select(Order).where(Order.id == order_id)
        .options(selectinload(Order.items), selectinload(Order.events))
    )
    if order is None:
        raise NotFound("Order not found")
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)).all()
    claims = db.session.scalars(select(Claim).where(Claim.order_id == order_id).order_by(Claim.id)).all()
    followups = db.session.scalars(
        select(FollowUp).where(FollowUp.order_id == order_id).order_by(FollowUp.due_at, FollowUp.id)
    ).all()
    emails = db.session.scalars(
        select(EmailMessage).where(EmailMessage.order_id == order_id).order_by(EmailMessage.id)
    ).all()
    return OrderStory(order, list(refunds), list(claims), list(followups), list(emails))


def search_emails(to: str = "", status: str = "", kind: str = "", page: int = 1, per_page: int = 50) -> Page:
    """The email log, newest first; `to` matches part of the address, `kind` a kind's start."""
    query = select(EmailMessage).order_by(EmailMessage.id.desc())
    if kind:
        query = query.where(EmailMessage.kind.like(f"{escape_like(kind)}%", escape="\\"))
    to = (to or "").strip().lower()
    if to:
        query = query.where(func.lower(EmailMessage.to).like(f"%{escape_like(to)}%", escape="\\"))
    if status:
        query = query.where(EmailMessage.status == status)
    return paginate(query, page, per_page)


def get_email(message_id: int) -> EmailMessage:
    message = db.session.get(EmailMessage, message_id)
    if message is None:
        raise NotFound("Email not found")
    return message


def claims_queue(status: str | None) -> tuple[list[Claim], dict[int, Order]]:
    """Claims oldest first (the guarantee's own list), and their orders by id, in one query
    for all rows instead of one per row."""
    from shop.guarantee.services import list_claims

    claims = list_claims(status or None)
    order_ids = {claim.order_id for claim in claims}
    orders = db.session.scalars(select(Order).where(Order.id.in_(order_ids))).all() if order_ids else []
    return claims, {order.id: order for order in orders}


def audit_log(page: int = 1, per_page: int = 100) -> Page:
    """Every claim decision and refund event, newest first."""
    query = (select(ClaimAudit).options(selectinload(ClaimAudit.claim))
             .order_by(ClaimAudit.created_at.desc(), ClaimAudit.id.desc()))
    return paginate(query, page, per_page)
