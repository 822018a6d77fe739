"""Follow-up use cases: schedule on delivery, show, cancel. Services flush; callers commit."""
from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from shop.catalog.models import STEP_CHECKIN, STEP_DOSE, Product
from shop.db import as_utc
from shop.extensions import db
from shop.followups import plan
from shop.followups.models import CHECKIN, DOSE, REORDER, SCHEDULED, FollowUp
from shop.followups.states import set_status
from shop.orders.models import Order

STEP_KIND = {STEP_DOSE: DOSE, STEP_CHECKIN: CHECKIN}


def _settings() -> tuple[int, str]:
    config = current_app.config
    return config["FOLLOWUP_EVENING_HOUR"], config["SHOP_TIMEZONE"]


def reorder_buffer_days() -> int:
    """How long before the bottle runs out the reminder goes: time to ship the next one."""
    return int(current_app.config.get("REORDER_BUFFER_DAYS", 7))


def order_followups(order: Order) -> list[dict]:
    """The order's follow-up schedule as API.md shows it: day, capsules, due_at, status."""
    rows = db.session.scalars(
        select(FollowUp).where(FollowUp.order_id == order.id).order_by(FollowUp.due_at, FollowUp.id)
    )
    return [
        {"day": row.step_day, "capsules": row.capsules,
         "due_at": as_utc(row.due_at).isoformat(), "status": row.status}
        for row in rows
    ]


def schedule_for_order(order: Order) -> list[FollowUp]:
    """One follow-up per titration step of each product in the delivered order.

    Products without a plan get none. Doing it twice adds nothing (the order already has rows).
    """
    if db.session.scalar(select(FollowUp.id).where(FollowUp.order_id == order.id).limit(1)):
        return []
    hour, tz = _settings()
    starts_on = plan.local_date(as_utc(order.delivered_at), tz)
    bottles: dict[int, int] = defaultdict(int)
    for item in order.items:
        bottles[item.product_id] += item.quantity
    products = db.session.scalars(select(Product).where(Product.id.in_(bottles))).all()
    rows: list[FollowUp] = []
    for product in sorted(products, key=lambda p: p.id):
        rows.extend(_rows_for_product(order, product, bottles[product.id], starts_on, hour, tz))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _rows_for_product(order, product, quantity, starts_on, hour, tz) -> list[FollowUp]:
    steps = product.titration_steps
    rows = [
        FollowUp(order_id=order.id, product_id=product.id, kind=STEP_KIND.get(step.kind, DOSE),
                 step_day=step.day, capsules=step.capsules, note=step.note, starts_on=starts_on,
                 due_at=plan.due_at(starts_on, step.day, hour, tz))
        for step in steps
    ]
    doses = [(step.day, step.capsules) for step in steps if step.kind == STEP_DOSE]
    runout = plan.runout_day(doses, product.capsules_per_bottle * quantity)
    if runout is not None:
        day = max(runout - reorder_buffer_days(), 0)
        rows.append(FollowUp(
            order_id=order.id, product_id=product.id, kind=REORDER, step_day=day,
            capsules=plan.dose_on(doses, day), starts_on=starts_on,
            due_at=plan.due_at(starts_on, day, hour, tz), note=f"runs out on day {runout}",
        ))
    return rows


def cancel_for_order(order: Order, reason: str, *, kinds: tuple[str, ...] | None = None) -> int:
    """Cancel the order's still-scheduled follow-ups (all, or only of `kinds`); how many."""
    query = select(FollowUp).where(FollowUp.order_id == order.id, FollowUp.status == SCHEDULED)
    if kinds:
        query = query.where(FollowUp.kind.in_(kinds))
    rows = db.session.scalars(query.with_for_update()).all()
    for row in rows:
        set_status(row, "cancelled", reason=reason)
    db.session.flush()
    return len(rows)


def schedule_dates(rows: list[FollowUp]) -> None:
    """Recompute due_at of rows after their anchor or delay changed."""
    hour, tz = _settings()
    for row in rows:
        row.due_at = plan.due_at(row.starts_on, row.step_day + row.delay_days, hour, tz)


def now_or(now: datetime | None) -> datetime:
    from shop.db import utcnow

    return as_utc(now) if now is not None else utcnow()
