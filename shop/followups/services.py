"""Follow-up use cases: schedule on delivery, show, cancel. Services flush; callers commit."""
from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from shop.catalog.models import STEP_CHECKIN, STEP_DOSE, Product
from shop.db import as_utc, dialect_of, insert_or_skip, utcnow
from shop.extensions import db
from shop.followups import links, plan
from shop.followups.models import (CANCELLED, CHECKIN, DOSE, MARKETING_KINDS, REORDER, SCHEDULED, SENT, FollowUp,
                                   RemindersOff)
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
    return [followup_dict(row) for row in rows]


def followup_dict(row: FollowUp) -> dict:
    """One follow-up as API.md shows it."""
    return {"day": row.step_day, "capsules": row.capsules, "due_at": as_utc(row.due_at).isoformat(),
            "status": row.status}


def followups_by_order(order_ids: list[int]) -> dict[int, list[FollowUp]]:
    """The follow-ups of many orders in one query (a list page), each order's by due time."""
    grouped: dict[int, list[FollowUp]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for row in db.session.scalars(select(FollowUp).where(FollowUp.order_id.in_(order_ids))
                                      .order_by(FollowUp.due_at, FollowUp.id)):
            grouped[row.order_id].append(row)
    return grouped


def plan_progress(rows: list[FollowUp]) -> dict | None:
    """How far along its dosing plan an order is, from its follow-ups: the dose steps sent of
    all, tonight's dose (the latest step sent), and the next step still to come. None without a plan."""
    doses = [row for row in rows if row.kind == DOSE]
    if not doses:
        return None
    sent = [row for row in doses if row.status == SENT]
    waiting = [row for row in doses if row.status == SCHEDULED]
    _, tz = _settings()
    return {
        "steps": len(doses), "sent": len(sent),
        "capsules": sent[-1].capsules if sent else None,
        "next_capsules": waiting[0].capsules if waiting else None,
        "next_date": plan.local_date(as_utc(waiting[0].due_at), tz) if waiting else None,
    }


def reminders_on(order: Order) -> bool:
    """Whether the order's dosing reminders are on (they are, until its customer turns them off)."""
    return order.id not in orders_with_reminders_off([order.id])


def orders_with_reminders_off(order_ids) -> set[int]:
    """Which of these orders' customers turned the dosing reminders off (one query)."""
    if not order_ids:
        return set()
    return set(db.session.scalars(select(RemindersOff.order_id).where(RemindersOff.order_id.in_(order_ids))))


def set_reminders(order: Order, on: bool) -> None:
    """Turn the order's dosing reminders on or off; the dispatcher reads it as each step comes
    due, so steps still waiting go out again once it is back on. Saying it twice changes nothing."""
    if on:
        db.session.execute(delete(RemindersOff).where(RemindersOff.order_id == order.id))
    else:  # two clicks at once: the second finds the row taken and skips it
        db.session.execute(insert_or_skip(dialect_of(db.session), RemindersOff.__table__, "order_id"),
                           {"order_id": order.id, "created_at": utcnow()})


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
        bottles[item.product_id] += item.bottles
    products = db.session.scalars(select(Product).where(Product.id.in_(bottles))).all()
    subscribed = _subscribed_product(order)
    renewal = order.stripe_invoice_id is not None
    rows: list[FollowUp] = []
    for product in sorted(products, key=lambda p: p.id):
        rows.extend(_rows_for_product(order, product, bottles[product.id], starts_on, hour, tz,
                                      checkins_only=renewal and product.id == subscribed,
                                      reminder=product.id != subscribed))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _subscribed_product(order: Order) -> int | None:
    """The product a subscription renews for this order: it needs no reorder reminder, and a
    renewal of it no new titration (the customer is at the full dose already)."""
    from shop.subscriptions.services import subscription_of

    sub = subscription_of(order)
    return sub.product_id if sub is not None else None


def _rows_for_product(order, product, quantity, starts_on, hour, tz, *, checkins_only: bool = False,
                      reminder: bool = True) -> list[FollowUp]:
    steps = product.titration_steps
    if checkins_only:
        steps = [step for step in steps if step.kind == STEP_CHECKIN]
    rows = [
        FollowUp(order_id=order.id, product_id=product.id, kind=STEP_KIND.get(step.kind, DOSE),
                 step_day=step.day, capsules=step.capsules, note=step.note, starts_on=starts_on,
                 due_at=plan.due_at(starts_on, step.day, hour, tz))
        for step in steps
    ]
    doses = [(step.day, step.capsules) for step in steps if step.kind == STEP_DOSE]
    runout = plan.runout_day(doses, product.capsules_per_bottle * quantity)
    if runout is not None and reminder:
        day = max(runout - reorder_buffer_days(), 0)
        # One email an evening: a reminder that lands on a step's day goes the evening before.
        taken = {step.day for step in steps}
        while day in taken and day > 0:
            day -= 1
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
        set_status(row, CANCELLED, reason=reason)
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


def _plan_rows(row: FollowUp) -> list[FollowUp]:
    """Every row of the plan `row` belongs to (same order and product), locked, by day."""
    return list(db.session.scalars(
        select(FollowUp)
        .where(FollowUp.order_id == row.order_id, FollowUp.product_id == row.product_id)
        .order_by(FollowUp.due_at, FollowUp.id)
        .with_for_update()
    ))


def followup_for_link(token: str, action: str) -> FollowUp:
    """The follow-up a signed link acts on; `links.LinkError` when the link or the plan is gone."""
    row = db.session.get(FollowUp, links.read_token(token, action))
    if row is None:
        raise links.LinkError("This plan no longer exists.")
    return row


def _locked_followup(followup_id: int) -> FollowUp:
    from shop.errors import NotFound

    row = db.session.scalar(select(FollowUp).where(FollowUp.id == followup_id).with_for_update())
    if row is None:
        raise NotFound("This plan no longer exists")
    return row


HOLD_DAYS = 7


def hold_dose(followup_id: int, *, now: datetime | None = None) -> int:
    """"Stay at this dose one more week": every later step of the plan moves 7 days on.

    Returns how many steps moved; a second click from the same email moves nothing.
    """
    row = _locked_followup(followup_id)
    if row.held_at is not None:
        return 0
    row.held_at = now_or(now)
    later = [r for r in _plan_rows(row)
             if r.status == SCHEDULED and (r.step_day + r.delay_days) > (row.step_day + row.delay_days)]
    for r in later:
        r.delay_days += HOLD_DAYS
    schedule_dates(later)
    db.session.flush()
    _plan_changed(row.order_id)
    return len(later)


def _plan_changed(order_id: int) -> None:
    """A subscription this order started renews as the plan now runs out (shop.subscriptions)."""
    from shop.subscriptions.services import followup_plan_changed

    followup_plan_changed(order_id)


def restart_plan(followup_id: int, *, now: datetime | None = None) -> int:
    """"I started today": the plan starts on today's date; the steps still to come follow it.

    Returns how many steps moved; the same link used again changes nothing.
    """
    row = _locked_followup(followup_id)
    if row.restarted_at is not None:
        return 0
    now = now_or(now)
    row.restarted_at = now
    _, tz = _settings()
    today = plan.local_date(now, tz)
    waiting = [r for r in _plan_rows(row) if r.status == SCHEDULED]
    for r in waiting:
        r.starts_on = today
    schedule_dates(waiting)
    db.session.flush()
    _plan_changed(row.order_id)
    return len(waiting)


def unsubscribe(followup_id: int) -> str:
    """One-click unsubscribe from a follow-up; what it stopped ("marketing" or "order").

    A check-in or reminder (marketing) stops marketing mail to the address; dose steps of this
    and later orders still go. A dose step's link stops the rest of this order's follow-ups.
    """
    from shop.emails.services import suppress_marketing

    row = _locked_followup(followup_id)
    order = db.session.get(Order, row.order_id)
    if row.kind in MARKETING_KINDS:
        suppress_marketing(order.email)
        for other in db.session.scalars(
            select(FollowUp).join(Order, Order.id == FollowUp.order_id)
            .where(Order.email == order.email, FollowUp.status == SCHEDULED,
                   FollowUp.kind.in_(MARKETING_KINDS)).with_for_update(of=FollowUp)
        ):
            set_status(other, CANCELLED, reason="unsubscribed")
        db.session.flush()
        return "marketing"
    cancel_for_order(order, "unsubscribed")
    set_reminders(order, False)  # the account page then shows them off, as they are
    return "order"


def plan_schedule(row: FollowUp) -> list[dict]:
    """The plan `row` belongs to, for the confirmation pages: day, dose, local date, status."""
    _, tz = _settings()
    rows = db.session.scalars(
        select(FollowUp).where(FollowUp.order_id == row.order_id, FollowUp.product_id == row.product_id)
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    return [{"day": r.step_day + r.delay_days, "capsules": r.capsules, "kind": r.kind,
             "date": plan.local_date(as_utc(r.due_at), tz), "status": r.status} for r in rows]


def order_schedule(order: Order) -> list[dict]:
    """The order's follow-ups with product names and local dates, for the order page."""
    _, tz = _settings()
    rows = db.session.execute(
        select(FollowUp, Product.name).join(Product, Product.id == FollowUp.product_id)
        .where(FollowUp.order_id == order.id).order_by(FollowUp.due_at, FollowUp.id)
    )
    return [{"day": r.step_day + r.delay_days, "capsules": r.capsules, "kind": r.kind,
             "product": name, "date": plan.local_date(as_utc(r.due_at), tz), "status": r.status}
            for r, name in rows]
