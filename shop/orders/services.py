"""Order look-ups shared by every domain: tokens and row locks."""
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from shop.errors import NotFound
from shop.extensions import db
from shop.orders.access import page_access
from shop.orders.models import Order, OrderItem
from shop.payments.models import Refund


def new_order_token() -> tuple[str, str]:
    """A fresh customer token and the digest stored in its place."""
    token = secrets.token_urlsafe(24)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def order_for_customer(order_id: int, token: str | None) -> Order:
    """The order, if `token` is its token; otherwise NotFound, exactly as for an unknown order."""
    order = db.session.get(Order, order_id)
    supplied = token_digest(token or "")
    stored = order.token_hash if order is not None else token_digest("\0no-order")
    matches = hmac.compare_digest(stored, supplied)  # compared even for an unknown order: same time
    if order is None or not token or not matches:
        raise NotFound("Order not found")
    return order


def order_for_staff(order_id: int) -> Order:
    """The order for a member of staff (any role); NotFound when there is none."""
    order = db.session.get(Order, order_id) if 0 < order_id < 2**31 else None
    if order is None:
        raise NotFound("Order not found")
    return order


def lock_order(order_id: int) -> Order | None:
    """The order under a row lock (SELECT ... FOR UPDATE on PostgreSQL; SQLite locks the file)."""
    return db.session.scalar(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    )


# Timeline entries a customer may read; staff notes, disputes and Stripe bookkeeping stay internal.
CUSTOMER_EVENT_KINDS = ("created", "status")


def customer_page(order_id: int) -> dict:
    """The customer's order page, if this request may see it (else NotFound): the order, its
    refunds, its timeline, its dosing plan and its guarantee panel, in four statements.

    1. the order, its items with their products (the guarantee's length), its latest claim and its
       subscription (to-one rows, joined); 2. its timeline; 3. its refunds; 4. its follow-ups.
    """
    from shop.followups.services import order_schedule
    from shop.guarantee.models import Claim
    from shop.guarantee.services import latest_claim_id, order_page_panel
    from shop.subscriptions.models import Subscription

    row = db.session.execute(
        select(Order, Claim, Subscription).select_from(Order).where(Order.id == order_id)
        .outerjoin(Claim, Claim.id == latest_claim_id(Order.id))
        # Joined to be in the session, where the page's subscription panel finds it (`subscription`
        # below keeps it referenced until the page is rendered).
        .outerjoin(Subscription, Subscription.id == Order.subscription_id)
        .options(joinedload(Order.items).joinedload(OrderItem.product), selectinload(Order.events))
    ).unique().first()
    order = page_access(order_id, row.Order if row else None)
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).all()
    timeline = [event for event in order.events if event.kind in CUSTOMER_EVENT_KINDS]
    return {"order": order, "refunds": refunds, "timeline": timeline, "followup_steps": order_schedule(order),
            "guarantee": order_page_panel(order, row.Claim, loaded=True), "subscription": row.Subscription}
