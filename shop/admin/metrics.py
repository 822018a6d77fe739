"""The dashboard's numbers: today in the store's time zone, and the last 30 days.

"Today" starts at local midnight in SHOP_TIMEZONE. Orders count from when they were paid;
revenue is what was charged (totals of paid orders), refunds what Stripe confirmed.

Every number is one aggregate in SQL over an index (never rows summed in Python): at a
million orders the last 30 days alone are some 40,000 of them. The per-day series is grouped
by the database too, each row given its day by comparing its time with the 31 local midnights
that bound the window (computed here with the zone's rules), so SQLite and PostgreSQL agree on
the days, daylight-saving changes included, without either needing the zone database.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select

from shop.db import as_utc, utcnow
from shop.emails.models import FAILED as EMAIL_FAILED
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups.models import SENT as FOLLOWUP_SENT
from shop.followups.models import FollowUp
from shop.guarantee.models import OPEN, Claim
from shop.money import DEFAULT_CURRENCY
from shop.orders.models import Order
from shop.pagination import COUNT_CAP, count_at_most
from shop.payments.models import REFUND_SUCCEEDED, Refund
from shop.templating import store_zone

CHART_DAYS = 30


@dataclass
class DayCount:
    day: date
    orders: int = 0
    refunds: int = 0


@dataclass
class Dashboard:
    orders_today: int
    revenue_today: dict[str, int]  # currency → minor units
    open_claims: int
    unanswered_questions: int  # counted up to COUNT_CAP + 1 (see `unanswered_label`)
    followups_sent_today: int
    followups_failed_today: int
    paid_30d: dict[str, int]
    refunded_30d: dict[str, int]
    days: list[DayCount] = field(default_factory=list)

    @property
    def unanswered_label(self) -> str:
        return f"{COUNT_CAP:,}+" if self.unanswered_questions > COUNT_CAP else f"{self.unanswered_questions:,}"

    @property
    def refund_rate(self) -> float | None:
        """Refunded ÷ paid over 30 days, by amount, in the main currency; None without sales."""
        if not self.paid_30d:
            return None
        currency = max(self.paid_30d, key=self.paid_30d.get)
        paid = self.paid_30d[currency]
        return (self.refunded_30d.get(currency, 0) / paid) if paid else None


def local_midnight(day: date) -> datetime:
    """The UTC instant the store's `day` begins (stored times are UTC; SQLite drops zones)."""
    return datetime.combine(day, time.min, tzinfo=store_zone()).astimezone(UTC)


def dashboard(now: datetime | None = None) -> Dashboard:
    from shop.reviews.moderation import unanswered_questions_query

    now = as_utc(now) or utcnow()
    today = now.astimezone(store_zone()).date()
    start_today = local_midnight(today)
    first_day = today - timedelta(days=CHART_DAYS - 1)
    start_window = local_midnight(first_day)

    revenue_today = _sums(select(Order.currency, func.count(Order.id), func.sum(Order.total))
                          .where(Order.paid_at >= start_today).group_by(Order.currency))
    paid_30d = _sums(select(Order.currency, func.count(Order.id), func.sum(Order.total))
                     .where(Order.paid_at >= start_window).group_by(Order.currency))
    refunded_30d = _sums(select(Refund.currency, func.count(Refund.id), func.sum(Refund.amount))
                         .where(Refund.status == REFUND_SUCCEEDED, Refund.updated_at >= start_window)
                         .group_by(Refund.currency))
    count = lambda query: db.session.scalar(query) or 0  # noqa: E731

    result = Dashboard(
        orders_today=sum(n for n, _ in revenue_today.values()),
        revenue_today={c: total for c, (_, total) in revenue_today.items()} or {DEFAULT_CURRENCY: 0},
        open_claims=count(select(func.count(Claim.id)).where(Claim.status == OPEN)),
        unanswered_questions=count_at_most(unanswered_questions_query(ordered=False)),
        followups_sent_today=count(select(func.count(FollowUp.id)).where(
            FollowUp.status == FOLLOWUP_SENT, FollowUp.sent_at >= start_today)),
        followups_failed_today=count(select(func.count(EmailMessage.id)).where(
            EmailMessage.kind.like("followup%"), EmailMessage.status == EMAIL_FAILED,
            EmailMessage.created_at >= start_today)),
        paid_30d={c: total for c, (_, total) in paid_30d.items()},
        refunded_30d={c: total for c, (_, total) in refunded_30d.items()},
    )
    result.days = _per_day(first_day, start_window)
    return result


def _sums(query) -> dict[str, tuple[int, int]]:
    return {currency: (int(n or 0), int(total or 0)) for currency, n, total in db.session.execute(query)}


def _per_day(first_day: date, start: datetime) -> list[DayCount]:
    days = [first_day + timedelta(days=i) for i in range(CHART_DAYS)]
    midnights = [local_midnight(day) for day in days[1:]] + [local_midnight(days[-1] + timedelta(days=1))]
    paid = _count_by_day(Order.paid_at, midnights, Order.paid_at >= start)
    refunded = _count_by_day(Refund.updated_at, midnights, Refund.status == REFUND_SUCCEEDED, Refund.updated_at >= start)
    return [DayCount(day, paid.get(i, 0), refunded.get(i, 0)) for i, day in enumerate(days)]


def day_index(column, midnights: list[datetime]):
    """Which day of the window `column` falls on (0 = the first), as a SQL expression: the
    first of the days' ends (local midnights, as UTC instants) that it comes before."""
    return case(*[(column < end, index) for index, end in enumerate(midnights)], else_=len(midnights))


def _count_by_day(column, midnights: list[datetime], *where) -> dict[int, int]:
    """Rows per day of the window, grouped in SQL (one row per day that has any)."""
    rows = select(day_index(column, midnights).label("day")).where(*where).subquery()
    return {day: count for day, count in db.session.execute(select(rows.c.day, func.count()).group_by(rows.c.day))}
