"""The "your next bottle ships on <date>" notice, RENEWAL_NOTICE_DAYS before each renewal.

Sent once per renewal date: the subscription remembers the date it was sent for
(`renewal_notice_for`), and the email's dedupe key names it too, so a pass that runs twice
sends nothing more, and a renewal moved after its notice (delay, skip, a hold) gets a notice of
its own for the new date.
"""
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from shop.catalog.models import Product
from shop.db import as_utc, utcnow
from shop.extensions import db
from shop.followups import plan
from shop.orders.models import Order
from shop.subscriptions.models import ACTIVE, TRIALING, Subscription

NOTICE_BATCH = 500
# Paused subscriptions bill nothing; past-due ones hear about the card instead.
NOTIFIED = (TRIALING, ACTIVE)


def notice_days() -> int:
    return max(int(current_app.config.get("RENEWAL_NOTICE_DAYS", 3)), 0)


def send_due_renewal_notices(now: datetime | None = None) -> int:
    """Queue the notice for every renewal due within RENEWAL_NOTICE_DAYS (shop time) whose date
    has not had one; how many were queued. Rows are locked and re-checked, so two passes at
    once send one notice."""
    now = as_utc(now) if now is not None else utcnow()
    today = plan.local_date(now, current_app.config["SHOP_TIMEZONE"])
    due = (select(Subscription.id)
           .where(Subscription.status.in_(NOTIFIED), Subscription.stripe_subscription_id.is_not(None),
                  Subscription.next_renewal_on >= today,
                  Subscription.next_renewal_on <= today + timedelta(days=notice_days()),
                  or_(Subscription.renewal_notice_for.is_(None),
                      Subscription.renewal_notice_for != Subscription.next_renewal_on))
           .order_by(Subscription.next_renewal_on, Subscription.id).limit(NOTICE_BATCH))
    sent = 0
    for sub_id in db.session.scalars(due).all():
        sub = db.session.scalar(select(Subscription).where(Subscription.id == sub_id).with_for_update())
        if sub is None or sub.next_renewal_on is None or sub.renewal_notice_for == sub.next_renewal_on:
            continue
        sent += _notify(sub, sub.next_renewal_on)
    return sent


def _notify(sub: Subscription, renewal_on: date) -> int:
    from shop.emails.services import queue_email
    from shop.subscriptions.services import manage_links

    order = db.session.get(Order, sub.order_id)
    product = db.session.get(Product, sub.product_id)
    sub.renewal_notice_for = renewal_on
    queued = queue_email(
        "subscription_renewal_notice", order.email, order_id=order.id,
        dedupe_key=f"subscription-renewal-notice:{sub.id}:{renewal_on.isoformat()}",
        context={"order": order, "product_name": product.name, "quantity": sub.quantity,
                 "renewal_on": renewal_on, "amount": sub.unit_price * sub.quantity, "currency": sub.currency,
                 "interval_days": sub.interval_days, "links": manage_links(sub)},
    )
    return 1 if queued is not None else 0
