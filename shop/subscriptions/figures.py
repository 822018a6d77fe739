"""Subscription figures for staff: how many are live, what they bring in a month, how many
left. Counted by the database (a few aggregate queries), never by loading rows."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, cast, func, or_, select

from shop.db import utcnow
from shop.extensions import db
from shop.subscriptions.models import ACTIVE, PAST_DUE, TRIALING, Subscription

# Subscriptions that will bill their next renewal: paused ones bill nothing until resumed.
BILLING = (TRIALING, ACTIVE, PAST_DUE)
MONTH_DAYS = 30  # monthly recurring revenue is each renewal's price spread over 30 days
CHURN_DAYS = 30


@dataclass(frozen=True)
class SubscriptionFigures:
    active: int  # subscriptions that will bill their next renewal
    mrr: dict[str, int] = field(default_factory=dict)  # {currency: minor units every 30 days}
    canceled_recently: int = 0  # cancelled in the last CHURN_DAYS days
    active_at_start: int = 0  # started and not cancelled CHURN_DAYS days ago
    since: datetime | None = None

    @property
    def churn(self) -> float | None:
        """Cancelled in the window / live at its start; None when none was live then."""
        return self.canceled_recently / self.active_at_start if self.active_at_start else None


def subscription_figures(now: datetime | None = None) -> SubscriptionFigures:
    """Active subscriptions, monthly recurring revenue (each one's renewal price × 30 ÷ its
    interval, rounded to the minor unit, per currency) and churn over the last 30 days."""
    now = now or utcnow()
    since = now - timedelta(days=CHURN_DAYS)
    billing = Subscription.status.in_(BILLING)
    active = db.session.scalar(select(func.count()).select_from(Subscription).where(billing))
    # Integer maths, rounded half up: (price × 30 + interval / 2) ÷ interval, doubled to stay whole.
    # 64-bit, so a dear product in quantity does not overflow PostgreSQL's integer.
    monthly = ((cast(Subscription.unit_price, BigInteger) * Subscription.quantity * (2 * MONTH_DAYS) + Subscription.interval_days)
               // (Subscription.interval_days * 2))
    mrr = dict(db.session.execute(
        select(Subscription.currency, func.sum(monthly)).where(billing).group_by(Subscription.currency)).all())
    canceled = db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.canceled_at > since, Subscription.canceled_at <= now))
    # Live at the window's start: paid for (Stripe has it) by then, not cancelled by then.
    at_start = db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.stripe_subscription_id.is_not(None), Subscription.created_at <= since,
        or_(Subscription.canceled_at.is_(None), Subscription.canceled_at > since)))
    return SubscriptionFigures(active=active or 0, mrr={c: int(v or 0) for c, v in mrr.items()},
                               canceled_recently=canceled or 0, active_at_start=at_start or 0, since=since)
