"""Subscribe & save use cases: start at checkout, follow Stripe, time renewals, ship renewals.

Stripe is the source of truth for a subscription's status and billing date: the shop moves the
next bill (`trial_end`) when it learns when the bottle runs out (delivery, a hold, a restart),
and stores what Stripe then says (`sync_from_stripe`, run on every `customer.subscription.*`
event, so events delivered twice or out of order still leave the latest state).

Services flush; the caller's unit of work commits. Calls to Stripe change nothing there that
the shop must record first, so they run inside the caller's transaction; when Stripe fails,
delivery and holds still stand and the subscription keeps its earlier billing date (logged).
"""
import logging
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from shop.catalog.models import STEP_DOSE, Product
from shop.db import as_utc, utcnow
from shop.errors import ProviderUnavailable, Unprocessable
from shop.extensions import db
from shop.followups import plan
from shop.orders.models import ADDRESS_FIELDS, PAID, PENDING_PAYMENT, Order, OrderItem
from shop.subscriptions import renewals
from shop.subscriptions.models import CANCELED, INCOMPLETE, INCOMPLETE_EXPIRED, PAUSED, Subscription

log = logging.getLogger(__name__)

# The hour (shop time) on the renewal date at which Stripe is asked to bill.
BILLING_HOUR = 9
# Checkout wants a trial to end at least two days ahead; a little more absorbs clock skew.
MIN_FIRST_BILL = timedelta(days=3)
# Stripe refuses a `trial_end` more than two years ahead.
MAX_FIRST_BILL = timedelta(days=729)
# Statuses in which Stripe still bills renewals (so their date may move).
LIVE = ("trialing", "active", "past_due")


# --- terms ------------------------------------------------------------------------------------

def discounted_price(product: Product) -> int:
    """The subscriber's unit price: the product's less its discount, rounded to the minor unit."""
    percent = product.subscription_discount_percent or 0
    return (product.price * (100 - percent) + 50) // 100


def dose_steps(product: Product) -> list[tuple[int, int]]:
    return [(step.day, step.capsules) for step in product.titration_steps if step.kind == STEP_DOSE]


def buffer_days() -> int:
    from shop.followups.services import reorder_buffer_days

    return reorder_buffer_days()


def interval_days(product: Product, quantity: int) -> int:
    return renewals.interval_days(dose_steps(product), product.capsules_per_bottle * quantity,
                                  serving_capsules=product.serving_capsules)


def first_renewal_days(product: Product, quantity: int, holds: list[int] = ()) -> int:
    return renewals.first_renewal_day(dose_steps(product), product.capsules_per_bottle * quantity,
                                      buffer_days(), serving_capsules=product.serving_capsules,
                                      holds=holds)


def subscription_offer(product: Product) -> dict | None:
    """What the product page offers beside a one-time purchase: the subscriber's price and how
    often one bottle renews at the full dose; None when the product cannot be subscribed to."""
    if product.subscription_discount_percent is None:
        return None
    return {"percent": product.subscription_discount_percent, "price": discounted_price(product),
            "interval_days": interval_days(product, 1)}


def check_subscribable(product: Product, index: int, quantity: int) -> None:
    """422 naming checkout line `index` unless `quantity` bottles of `product` may be subscribed to:
    the product has a subscriber's discount, and that many bottles renew at least once a year
    (the most a renewal may ship, as when the quantity is changed later)."""
    if product.subscription_discount_percent is None:
        raise Unprocessable("This product cannot be subscribed to",
                            errors={f"items.{index}.subscribe": ["This product cannot be subscribed to"]})
    most = most_bottles(product)
    if quantity > most:
        message = f"At most {most} bottles of {product.name} per delivery on subscription"
        raise Unprocessable(message, errors={f"items.{index}.quantity": [message]})


def start(order: Order, product: Product, quantity: int) -> Subscription:
    """The subscription a checkout opens (status `incomplete` until Stripe says otherwise)."""
    sub = Subscription(order_id=order.id, product_id=product.id, quantity=quantity,
                       unit_price=discounted_price(product), currency=order.currency,
                       status=INCOMPLETE, interval_days=interval_days(product, quantity))
    db.session.add(sub)
    db.session.flush()
    order.subscription_id = sub.id
    return sub


def checkout_abandoned(order: Order) -> None:
    """The checkout that would have started a subscription ended unpaid: it never will
    (Stripe's own word for such a subscription: `incomplete_expired`)."""
    sub = first_order_subscription(order)
    if sub is not None and sub.status == INCOMPLETE and sub.stripe_subscription_id is None:
        sub.status = INCOMPLETE_EXPIRED


def first_bill_at(product: Product, quantity: int, now: datetime | None = None) -> int:
    """When Stripe may first bill again (Unix time): the first renewal as if delivered today.

    Moved to the real date at delivery, so Stripe never bills before the bottle is known to run
    out."""
    now = as_utc(now) if now is not None else utcnow()
    ahead = max(timedelta(days=first_renewal_days(product, quantity)), MIN_FIRST_BILL)
    return int((now + min(ahead, MAX_FIRST_BILL)).timestamp())


# --- reading ----------------------------------------------------------------------------------

def subscription_of(order: Order) -> Subscription | None:
    if order.subscription_id is None:
        return None
    return db.session.get(Subscription, order.subscription_id)


def renewal_order_ids(sub: Subscription) -> list[int]:
    return list(db.session.scalars(
        select(Order.id).where(Order.subscription_id == sub.id, Order.id != sub.order_id).order_by(Order.id)))


def order_subscription(order: Order) -> dict | None:
    """The order API's `subscription`: null for a one-time order."""
    sub = subscription_of(order)
    if sub is None:
        return None
    return {"id": sub.id, "status": sub.status,
            "next_renewal_on": sub.next_renewal_on.isoformat() if sub.next_renewal_on else None,
            "interval_days": sub.interval_days, "renewal_order_ids": renewal_order_ids(sub)}


def first_order_id(stripe_subscription_id: str) -> int | None:
    return db.session.scalar(select(Subscription.order_id).where(
        Subscription.stripe_subscription_id == stripe_subscription_id[:255]))


def first_order_subscription(order: Order) -> Subscription | None:
    """The subscription `order` started (not one it renews)."""
    return db.session.scalar(select(Subscription).where(Subscription.order_id == order.id))


# --- following Stripe -------------------------------------------------------------------------

def session_completed(order: Order, session: dict) -> None:
    """A subscription-mode session completed: keep Stripe's ids and the address renewals use."""
    sub = first_order_subscription(order)
    if sub is None:
        return
    _attach(sub, _id(session.get("subscription")), _id(session.get("customer")))
    if order.status != PENDING_PAYMENT and order.shipping_address:
        for name in (*ADDRESS_FIELDS, "phone"):
            setattr(sub, f"shipping_{name}", getattr(order, f"shipping_{name}"))
    invoice_id = _id(session.get("invoice"))
    if invoice_id and not order.stripe_payment_intent_id:
        from shop.payments import services as payments

        payments.store_payment_details(order, payment_intent_id=_invoice_payment_intent(invoice_id))
    if sub.stripe_subscription_id:
        sync_from_stripe(sub)


def subscription_event(order: Order, obj: dict) -> str:
    """`customer.subscription.*`: store the subscription as Stripe has it now (not as the event
    had it: events may come late or twice)."""
    sub = first_order_subscription(order)
    if sub is None:
        return "ignored (no subscription)"
    if not _attach(sub, _id(obj.get("id")), _id(obj.get("customer"))):
        return "ignored (another subscription)"
    sync_from_stripe(sub, fallback=obj)
    return f"subscription {sub.status}"


def _attach(sub: Subscription, stripe_id: str | None, customer_id: str | None) -> bool:
    """Link the row to Stripe's subscription; False when it already names another one."""
    if not stripe_id:
        return sub.stripe_subscription_id is not None
    if sub.stripe_subscription_id and sub.stripe_subscription_id != stripe_id:
        return False
    sub.stripe_subscription_id = stripe_id
    if customer_id:
        sub.stripe_customer_id = customer_id
    return True


def sync_from_stripe(sub: Subscription, fallback: dict | None = None) -> None:
    """Status and next billing date as Stripe has them now. When Stripe refuses to say (the
    subscription is gone), the event's own copy (`fallback`) is taken; when it cannot be
    reached, the error goes up and the webhook answers 5xx, so Stripe delivers the event again."""
    from shop.payments import stripe_gateway

    try:
        remote = stripe_gateway.retrieve_subscription(sub.stripe_subscription_id)
    except stripe_gateway.PaymentProviderError as exc:
        if not exc.declined:
            raise
        log.warning("Stripe would not show subscription %s: %s", sub.stripe_subscription_id, exc.detail)
        if fallback is None:
            return
        remote = fallback
    apply_remote(sub, remote)


def apply_remote(sub: Subscription, remote: dict) -> None:
    """Take Stripe's status and next bill (`trial_end` while trialing, else the current period's
    end); a cancelled subscription has none."""
    status = remote.get("status")
    if isinstance(status, str) and status:
        paused = status in ("active", "trialing") and bool(remote.get("pause_collection"))
        sub.status = PAUSED if paused else status[:30]
    items = remote.get("items") if isinstance(remote.get("items"), dict) else {}
    first = (items.get("data") or [{}])[0] if isinstance(items.get("data"), list) else {}
    _apply_terms(sub, first if isinstance(first, dict) else {})
    next_bill = remote.get("trial_end") if status == "trialing" else None
    next_bill = next_bill or (first.get("current_period_end") if isinstance(first, dict) else None)
    if sub.status == CANCELED:
        next_bill = None
        mark_canceled(sub, remote.get("canceled_at"))
    if isinstance(next_bill, int) and not isinstance(next_bill, bool):
        moment = datetime.fromtimestamp(next_bill, UTC)
        sub.next_billing_at = moment
        sub.next_renewal_on = plan.local_date(moment, current_app.config["SHOP_TIMEZONE"])
    elif sub.status == CANCELED:
        sub.next_billing_at = None
        sub.next_renewal_on = None


def _apply_terms(sub: Subscription, item: dict) -> None:
    """The quantity and interval Stripe bills (a quantity change lands here, from Stripe)."""
    quantity = item.get("quantity")
    if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0:
        sub.quantity = quantity
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    recurring = price.get("recurring") if isinstance(price.get("recurring"), dict) else {}
    count, days = recurring.get("interval_count"), {"day": 1, "week": 7}.get(recurring.get("interval"))
    if days and isinstance(count, int) and not isinstance(count, bool) and count > 0:
        sub.interval_days = count * days


def mark_canceled(sub: Subscription, canceled_at=None) -> None:
    """Cancelled (as Stripe said, at Stripe's time when it gave one): no renewal to come, and no
    retiming still waiting for Stripe."""
    sub.status = CANCELED
    sub.next_renewal_on = sub.next_billing_at = None
    sub.pending_renewal_on = sub.pending_since = None
    if sub.canceled_at is None:
        valid = isinstance(canceled_at, int) and not isinstance(canceled_at, bool)
        sub.canceled_at = datetime.fromtimestamp(canceled_at, UTC) if valid else utcnow()


# --- timing renewals --------------------------------------------------------------------------

def order_delivered(order: Order) -> None:
    """The first order of a subscription arrived: bill the first renewal when its bottle runs
    out (less the buffer), by moving Stripe's next bill there."""
    sub = first_order_subscription(order)
    if sub is None or order.delivered_at is None:
        return
    retime(sub)


def retime(sub: Subscription) -> bool:
    """Recompute the first renewal from the plan as the customer follows it (delivery or
    restart date, holds) and move Stripe's next bill there. Only before the first renewal."""
    from shop.followups.models import FollowUp

    order = db.session.get(Order, sub.order_id)
    if order is None or order.delivered_at is None or sub.status not in LIVE or renewal_order_ids(sub):
        return False
    tz = current_app.config["SHOP_TIMEZONE"]
    rows = db.session.scalars(select(FollowUp).where(
        FollowUp.order_id == order.id, FollowUp.product_id == sub.product_id)).all()
    starts_on = max([row.starts_on for row in rows], default=plan.local_date(as_utc(order.delivered_at), tz))
    holds = sorted(row.step_day for row in rows if row.held_at is not None)
    product = db.session.get(Product, sub.product_id)
    # The bottles the first order delivered (a quantity changed since ships from the renewals on).
    delivered = sum(item.quantity for item in order.items if item.product_id == sub.product_id) or sub.quantity
    renewal_on = starts_on + timedelta(days=first_renewal_days(product, delivered, holds))
    return move_next_bill(sub, renewal_on)


def move_next_bill(sub: Subscription, renewal_on: date) -> bool:
    """Ask Stripe to bill next on `renewal_on` (BILLING_HOUR shop time). When Stripe refuses or
    cannot be reached, the move waits as pending (`pending_renewal_on`) and `next_renewal_on`
    stays what Stripe will do; `retry_pending_moves` asks again. False while pending."""
    from shop.payments import stripe_gateway

    tz = current_app.config["SHOP_TIMEZONE"]
    moment = plan.evening_of(renewal_on, BILLING_HOUR, tz)
    earliest = utcnow() + timedelta(hours=1)
    if moment < earliest:
        moment = earliest
    if not sub.stripe_subscription_id:  # not paid yet: nothing at Stripe to move
        sub.next_renewal_on = renewal_on
        return False
    try:
        remote = stripe_gateway.update_subscription(
            sub.stripe_subscription_id, {"trial_end": int(moment.timestamp()), "proration_behavior": "none"},
            idempotency_key=f"subscription-{sub.id}-bill-at-{int(moment.timestamp())}")
    except stripe_gateway.PaymentProviderError as exc:
        log.warning("Could not move subscription %s's next bill to %s (pending, retried): %s",
                    sub.id, renewal_on, exc.detail)
        sub.pending_renewal_on = renewal_on
        sub.pending_since = sub.pending_since or utcnow()
        return False
    apply_remote(sub, remote)
    sub.next_renewal_on = renewal_on
    sub.pending_renewal_on = sub.pending_since = None
    return True


PENDING_BATCH = 100


def retry_pending_moves(now: datetime | None = None) -> dict:
    """Ask Stripe again for each renewal move it refused or could not take (periodic task).

    Each subscription is re-read under its lock; a move is dropped when the subscription no
    longer bills, or when Stripe's own bill date has come meanwhile (it billed that renewal: the
    customer's wish was for a renewal that is gone)."""
    now = as_utc(now) if now is not None else utcnow()
    ids = db.session.scalars(select(Subscription.id).where(Subscription.pending_renewal_on.is_not(None))
                             .order_by(Subscription.pending_since, Subscription.id).limit(PENDING_BATCH)).all()
    counts = {"moved": 0, "pending": 0, "dropped": 0}
    for sub_id in ids:
        sub = db.session.scalar(select(Subscription).where(Subscription.id == sub_id).with_for_update())
        if sub is None or sub.pending_renewal_on is None:
            continue
        billed = sub.next_billing_at is not None and as_utc(sub.next_billing_at) <= now
        if sub.status not in LIVE or billed:
            log.warning("Dropping subscription %s's pending move to %s (status %s, next bill %s)",
                        sub.id, sub.pending_renewal_on, sub.status, sub.next_billing_at)
            sub.pending_renewal_on = sub.pending_since = None
            counts["dropped"] += 1
        elif move_next_bill(sub, sub.pending_renewal_on):
            counts["moved"] += 1
        else:
            counts["pending"] += 1
    return counts


def followup_plan_changed(order_id: int) -> None:
    """A hold or restart on an order's plan: a subscription it started renews later or earlier."""
    sub = db.session.scalar(select(Subscription).where(Subscription.order_id == order_id))
    if sub is not None:
        retime(sub)


# --- staff -------------------------------------------------------------------------------------

STAFF_STATUSES = (INCOMPLETE, "trialing", "active", PAUSED, "past_due", CANCELED, INCOMPLETE_EXPIRED)
STAFF_LIST_LIMIT = 500


def staff_list(status: str | None = None, *, after: int | None = None, limit: int = STAFF_LIST_LIMIT) -> list[dict]:
    """Subscriptions newest first (at most `limit`, older than subscription `after` when given),
    with the customer, product and renewal orders, in a constant number of queries."""
    query = (select(Subscription, Order.email, Product.name)
             .join(Order, Order.id == Subscription.order_id).join(Product, Product.id == Subscription.product_id)
             .order_by(Subscription.id.desc()).limit(min(limit, STAFF_LIST_LIMIT)))
    if after is not None:
        query = query.where(Subscription.id < after)
    if status:
        query = query.where(Subscription.status == status[:30])
    rows = db.session.execute(query).all()
    renewals: dict[int, list[int]] = {}
    ids = [sub.id for sub, _, _ in rows]
    if ids:
        for order_id, sub_id, invoice in db.session.execute(
                select(Order.id, Order.subscription_id, Order.stripe_invoice_id)
                .where(Order.subscription_id.in_(ids)).order_by(Order.id)):
            if invoice is not None:
                renewals.setdefault(sub_id, []).append(order_id)
    return [{"subscription": sub, "email": email, "product_name": name, "renewal_order_ids": renewals.get(sub.id, []),
             "payment_failure": payment_failure(sub)} for sub, email, name in rows]


def staff_detail(subscription_id: int) -> dict:
    """One subscription for staff: its row, customer, product and orders (newest first)."""
    from shop.errors import NotFound

    sub = db.session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound("Subscription not found")
    orders = db.session.scalars(select(Order).where(Order.subscription_id == sub.id).order_by(Order.id.desc())).all()
    first = db.session.get(Order, sub.order_id)
    return {"subscription": sub, "email": first.email if first else None,
            "product": db.session.get(Product, sub.product_id), "orders": orders,
            "refund_order": order_to_refund(sub), "payment_failure": payment_failure(sub)}


def is_renewal(order: Order) -> bool:
    """A renewal order (paid by a renewal invoice), not the order that started a subscription."""
    return order.subscription_id is not None and order.stripe_invoice_id is not None


def order_to_refund(sub: Subscription) -> Order | None:
    """What cancelling and refunding a subscription refunds: its latest paid renewal, or the
    first order when none renewed yet; None when nothing is left to refund on it."""
    from shop.guarantee.services import refundable_amount

    latest = db.session.scalar(select(Order).where(Order.subscription_id == sub.id)
                               .order_by(Order.stripe_invoice_id.is_(None), Order.id.desc()).limit(1))
    if latest is None or refundable_amount(latest) <= 0:
        return None
    return latest


def staff_cancel_and_refund(subscription_id: int, staff, *, reason: str | None,
                            request_key: str | None = None) -> tuple[Subscription, Order | None]:
    """Staff end a subscription: cancel it at Stripe (its `customer.subscription.deleted`
    confirms), then refund its latest paid renewal (or the first order) through the staff
    refund use case: an order not shipped yet is cancelled (stock back, customer emailed), a
    shipped one refunded in full. That use case commits its request before Stripe is called,
    and this cancellation with it. 422 without a reason; nothing to refund refunds nothing."""
    from shop.errors import NotFound
    from shop.payments import staff_refunds, stripe_gateway

    if not (reason or "").strip():
        raise Unprocessable("Give a reason", errors={"reason": ["Required field missing"]})
    sub = db.session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound("Subscription not found")
    if sub.status != CANCELED:
        try:
            cancel(sub.id)
        except stripe_gateway.PaymentProviderError as exc:
            raise Unprocessable(f"Stripe did not cancel the subscription: {exc.detail}") from exc
    order = order_to_refund(sub)
    if order is None:
        return sub, None
    note = f"Subscription {sub.id} cancelled and refunded: {reason.strip()}"
    if staff_refunds.may_cancel(order):
        order = staff_refunds.cancel_order(order.id, staff, reason=note, request_key=request_key)
    else:
        order = staff_refunds.refund_order(order.id, staff, reason=note, request_key=request_key)
    return db.session.get(Subscription, subscription_id), order


# --- a renewal that failed ----------------------------------------------------------------------

def invoice_payment_failed(order: Order, invoice: dict) -> str:
    """A renewal's card was declined: email the customer a link to update it, once per attempt.

    Stripe retries the invoice (and pays it at once when the card is updated in its portal);
    `invoice.paid` then makes the renewal order as usual."""
    from shop.emails.services import queue_email
    from shop.subscriptions import links

    sub = first_order_subscription(order)
    invoice_id = _id(invoice.get("id"))
    if sub is None or not invoice_id or not _attach(sub, _invoice_subscription(invoice), None):
        return "ignored (no subscription)"
    attempt = invoice.get("attempt_count") if isinstance(invoice.get("attempt_count"), int) else 0
    _record_payment_failure(sub, invoice_id, attempt, invoice.get("next_payment_attempt"))
    product = db.session.get(Product, sub.product_id)
    queue_email(
        "subscription_payment_failed", order.email, order_id=order.id,
        dedupe_key=f"subscription-payment-failed:{invoice_id}:{attempt}",
        context={"order": order, "product_name": product.name, "quantity": sub.quantity,
                 "amount": _whole(invoice.get("amount_due")), "currency": sub.currency,
                 "card_url": links.link(sub.id, links.CARD)},
    )
    return "card update requested"


def _record_payment_failure(sub: Subscription, invoice_id: str, attempt: int, next_attempt) -> None:
    """Keep, for staff, Stripe's latest failed attempt at a renewal invoice and when it retries.

    Events come late or twice: an earlier attempt never overwrites a later one, and an invoice
    already paid (its renewal order exists) is not recorded again."""
    if db.session.scalar(select(Order.id).where(Order.stripe_invoice_id == invoice_id)) is not None:
        return
    if sub.payment_failed_invoice_id == invoice_id and (sub.payment_attempt_count or 0) > attempt:
        return
    valid = isinstance(next_attempt, int) and not isinstance(next_attempt, bool)
    sub.payment_failed_invoice_id = invoice_id
    sub.payment_attempt_count = attempt
    sub.payment_next_attempt_at = datetime.fromtimestamp(next_attempt, UTC) if valid else None
    sub.payment_failed_at = utcnow()


def _clear_payment_failure(sub: Subscription) -> None:
    sub.payment_failed_invoice_id = sub.payment_attempt_count = None
    sub.payment_next_attempt_at = sub.payment_failed_at = None


def payment_failure(sub: Subscription) -> dict | None:
    """For staff: the renewal payment Stripe failed to collect, its attempt and the next retry
    (shop date; None after the last one), or None."""
    if not sub.payment_failed_invoice_id:
        return None
    retry_on = (plan.local_date(as_utc(sub.payment_next_attempt_at), current_app.config["SHOP_TIMEZONE"])
                if sub.payment_next_attempt_at else None)
    return {"invoice_id": sub.payment_failed_invoice_id, "attempt": sub.payment_attempt_count,
            "retry_on": retry_on, "failed_at": sub.payment_failed_at}


def card_update_url(subscription_id: int) -> str:
    """Stripe's billing portal for the subscription's customer (raises LinkError without one)."""
    from shop.payments import stripe_gateway
    from shop.subscriptions import links

    sub = db.session.get(Subscription, subscription_id)
    if sub is None or not sub.stripe_customer_id:
        raise links.LinkError("This subscription no longer exists.")
    session = stripe_gateway.create_billing_portal_session(sub.stripe_customer_id, current_app.config["PUBLIC_URL"] + "/")
    return session["url"]


# --- the subscriber's own changes (signed links) ---------------------------------------------

DELAY_DAYS = 7


def product_of(sub: Subscription) -> Product:
    return db.session.get(Product, sub.product_id)


def subscription_for_link(subscription_id: int) -> Subscription:
    from shop.subscriptions import links

    sub = db.session.get(Subscription, subscription_id)
    if sub is None:
        raise links.LinkError("This subscription no longer exists.")
    return sub


def manage_links(sub: Subscription) -> dict:
    """The order page's links: delay a week, skip one, cancel (live subscriptions only)."""
    from shop.subscriptions import links

    if sub.status == PAUSED:
        return {action: links.link(sub.id, action) for action in (links.RESUME, links.QUANTITY, links.CANCEL)}
    if sub.status not in LIVE or sub.next_renewal_on is None:
        return {}
    on = sub.next_renewal_on.isoformat()
    found = {action: links.link(sub.id, action, on)
             for action in (links.DELAY, links.SKIP, links.PAUSE, links.CANCEL)}
    if sub.status in QUANTITY_CHANGEABLE:
        found[links.QUANTITY] = links.link(sub.id, links.QUANTITY)
    return found


def pause(subscription_id: int, resume: bool = False) -> bool:
    """Pause renewals (Stripe voids their invoices: nothing billed, nothing shipped) or resume
    them; False when already so."""
    from shop.payments import stripe_gateway
    from shop.subscriptions import links

    sub = db.session.scalar(select(Subscription).where(Subscription.id == subscription_id).with_for_update())
    if sub is None:
        raise links.LinkError("This subscription no longer exists.")
    if (sub.status != PAUSED) if resume else (sub.status not in ("trialing", "active")):
        return False
    params = {"pause_collection": "" if resume else {"behavior": "void"}}
    try:
        remote = stripe_gateway.update_subscription(
            sub.stripe_subscription_id, params,
            idempotency_key=f"subscription-{sub.id}-{'resume' if resume else 'pause'}-{utcnow():%Y%m%d%H%M%S}")
    except stripe_gateway.PaymentProviderError as exc:
        raise Unprocessable("We could not change your subscription just now; please try again later") from exc
    apply_remote(sub, remote)
    return True


def postpone(subscription_id: int, action: str, renewal_on: str | None) -> bool:
    """Delay (a week) or skip (one interval) the renewal the link was made for; False when that
    renewal has already moved or passed (the same link used twice), or nothing is due."""
    from shop.subscriptions import links

    sub = db.session.scalar(select(Subscription).where(Subscription.id == subscription_id).with_for_update())
    if sub is None:
        raise links.LinkError("This subscription no longer exists.")
    if sub.status not in LIVE or sub.next_renewal_on is None or sub.next_renewal_on.isoformat() != renewal_on:
        return False
    days = DELAY_DAYS if action == links.DELAY else sub.interval_days
    move_next_bill(sub, sub.next_renewal_on + timedelta(days=days))  # or pending: the page says so
    return True


def cancel(subscription_id: int) -> bool:
    """No more renewals (Stripe cancels now); False when already cancelled."""
    from shop.payments import stripe_gateway
    from shop.subscriptions import links

    sub = db.session.scalar(select(Subscription).where(Subscription.id == subscription_id).with_for_update())
    if sub is None:
        raise links.LinkError("This subscription no longer exists.")
    if sub.status == CANCELED:
        return False
    if sub.stripe_subscription_id:
        apply_remote(sub, stripe_gateway.cancel_subscription(
            sub.stripe_subscription_id, idempotency_key=f"subscription-{sub.id}-cancel"))
    mark_canceled(sub)
    return True


# Statuses in which the subscriber may change the quantity (a past-due one updates its card first:
# Stripe is still collecting the renewal as it was).
QUANTITY_CHANGEABLE = ("trialing", "active", PAUSED)


def most_bottles(product: Product) -> int:
    """The most bottles a renewal may ship: the per-order maximum, and Stripe's one-year interval."""
    from shop.cart.services import MAX_QUANTITY

    return renewals.most_bottles(dose_steps(product), product.capsules_per_bottle,
                                 serving_capsules=product.serving_capsules, limit=MAX_QUANTITY)


def parse_quantity(raw, most: int) -> int:
    """A whole number of bottles from 1 to `most` (form text or a JSON number); 422 otherwise."""
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) <= 4:
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise Unprocessable("Give the number of bottles as a whole number",
                            errors={"quantity": ["Not a whole number"]})
    if not 1 <= raw <= most:
        raise Unprocessable(f"Choose from 1 to {most} bottles",
                            errors={"quantity": [f"Must be between 1 and {most}"]})
    return raw


def change_quantity(subscription_id: int, raw_quantity) -> bool:
    """Ship `raw_quantity` bottles at each renewal from the next one on, renewing every
    `interval_days` of that many bottles; False when nothing changes (the same quantity, or a
    subscription that no longer bills).

    Stripe bills it: the subscription item gets a new recurring price (the subscriber's price,
    the new interval) and quantity, with no proration. The same update carries the next bill as
    `trial_end`: the bottles on hand were delivered at the old quantity, so they run out when
    they did (or on a move still pending, which this carries along); without it Stripe would
    start a new period at once on a new interval, and bill it. Bad input (422) and a refusal
    change nothing; Stripe's answer (and its `customer.subscription.updated`) is stored."""
    from shop.orders import states
    from shop.payments import stripe_gateway
    from shop.subscriptions import links

    order_id = db.session.scalar(select(Subscription.order_id).where(Subscription.id == subscription_id))
    if order_id is None:
        raise links.LinkError("This subscription no longer exists.")
    # The webhooks' lock order: the first order's row, then the subscription's (its timeline gets
    # an entry below, while Stripe's event for this change may already be waiting on these rows).
    order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                              .execution_options(populate_existing=True))
    sub = db.session.scalar(select(Subscription).where(Subscription.id == subscription_id).with_for_update()
                            .execution_options(populate_existing=True))
    product = db.session.get(Product, sub.product_id)
    quantity = parse_quantity(raw_quantity, most_bottles(product))
    if sub.status not in QUANTITY_CHANGEABLE or not sub.stripe_subscription_id or quantity == sub.quantity:
        return False
    try:
        remote = stripe_gateway.retrieve_subscription(sub.stripe_subscription_id)
        item = remote["items"]["data"][0]
        bill_at = _quantity_bill_at(sub, remote, item)
        remote = stripe_gateway.update_subscription(sub.stripe_subscription_id, {
            "items": [{"id": item["id"], "quantity": quantity, "price_data": {
                "currency": sub.currency, "product": _id(item["price"]["product"]), "unit_amount": sub.unit_price,
                "tax_behavior": "exclusive",
                "recurring": {"interval": "day", "interval_count": interval_days(product, quantity)}}}],
            "proration_behavior": "none", "trial_end": bill_at},
            idempotency_key=f"subscription-{sub.id}-quantity-{quantity}-{utcnow():%Y%m%d%H%M%S}")
    except stripe_gateway.PaymentProviderError as exc:
        log.warning("Stripe did not change subscription %s to %s bottles: %s", sub.id, quantity, exc.detail)
        if exc.declined:
            raise Unprocessable("We could not change your subscription; nothing changed. Reply to our "
                                "email and we will help.") from exc
        raise ProviderUnavailable("We could not reach our payment provider; nothing changed. Please "
                                  "try again in a few minutes.", code=503) from exc
    old = sub.quantity
    apply_remote(sub, remote)
    if sub.pending_renewal_on is not None and sub.next_renewal_on == sub.pending_renewal_on:
        sub.pending_renewal_on = sub.pending_since = None  # the move rode along
    states.record_event(order, actor="customer", kind="subscription",
                        message=f"Subscription {sub.id}: {old} → {sub.quantity} bottles a renewal, "
                                f"every {sub.interval_days} days", data={"quantity": sub.quantity})
    return True


def _quantity_bill_at(sub: Subscription, remote: dict, item: dict) -> int:
    """The next bill (Unix time) a quantity change keeps: a pending move's date, else Stripe's."""
    if sub.pending_renewal_on is not None:
        moment = plan.evening_of(sub.pending_renewal_on, BILLING_HOUR, current_app.config["SHOP_TIMEZONE"])
    else:
        stamp = remote.get("trial_end") if remote.get("status") == "trialing" else None
        moment = datetime.fromtimestamp(stamp or item["current_period_end"], UTC)
    return int(max(moment, utcnow() + timedelta(hours=1)).timestamp())


# --- renewals ---------------------------------------------------------------------------------

def invoice_paid(order: Order, invoice: dict) -> str:
    """A paid renewal invoice becomes one paid order (by invoice id), shipped to the address on
    file, charged what Stripe charged. The first invoice (`subscription_create`) paid the
    checkout's own order."""
    sub = first_order_subscription(order)
    if sub is not None and sub.payment_failed_invoice_id and sub.payment_failed_invoice_id == _id(invoice.get("id")):
        _clear_payment_failure(sub)  # Stripe collected it after all
    if invoice.get("billing_reason") != "subscription_cycle":
        return f"ignored ({invoice.get('billing_reason')})"
    stripe_id = _invoice_subscription(invoice)
    if sub is None or not stripe_id or not _attach(sub, stripe_id, _id(invoice.get("customer"))):
        return "ignored (no subscription)"
    invoice_id = _id(invoice.get("id"))
    if not invoice_id:
        return "ignored (no invoice id)"
    existing = db.session.scalar(select(Order.id).where(Order.stripe_invoice_id == invoice_id))
    if existing is not None:
        return f"already renewed (order {existing})"
    renewal = _renewal_order(order, sub, invoice, invoice_id)
    if sub.status == INCOMPLETE:
        sub.status = "active"
    return f"renewal order {renewal.id}"


def _renewal_order(first: Order, sub: Subscription, invoice: dict, invoice_id: str) -> Order:
    from shop.orders import states, stock
    from shop.orders.services import new_order_token
    from shop.payments import services as payments

    product = db.session.get(Product, sub.product_id)
    quantity = _billed_quantity(invoice) or sub.quantity
    _, digest = new_order_token()
    subtotal, total = _whole(invoice.get("subtotal")), _whole(invoice.get("amount_paid"))
    discount = sum(_whole(d.get("amount")) for d in invoice.get("total_discount_amounts") or [] if isinstance(d, dict))
    tax = sum(_whole(t.get("amount")) for t in invoice.get("total_taxes") or [] if isinstance(t, dict))
    renewal = Order(email=first.email, token_hash=digest, currency=sub.currency, status=PENDING_PAYMENT,
                    stock_reserved=False, subscription_id=sub.id, stripe_invoice_id=invoice_id[:255],
                    total=total, amount_subtotal=subtotal, amount_shipping=0, amount_discount=discount,
                    amount_tax=tax)
    for name in (*ADDRESS_FIELDS, "phone"):
        setattr(renewal, f"shipping_{name}", getattr(sub, f"shipping_{name}"))
    renewal.items.append(OrderItem(product_id=product.id, slug=product.slug, name=product.name,
                                   quantity=quantity, unit_price=sub.unit_price))
    db.session.add(renewal)
    db.session.flush()
    states.record_event(renewal, actor="stripe", kind="created",
                        message=f"Renewal of subscription {sub.id} (invoice {invoice_id}, first order {first.id})",
                        data={"invoice_id": invoice_id, "subscription_id": sub.id, "total": total})
    try:
        with db.session.begin_nested():
            stock.reserve({product.id: quantity})
        renewal.stock_reserved = True
    except stock.OutOfStock:
        payments.flag_for_staff(renewal, f"Renewal paid but {product.name} is out of stock: restock or refund",
                                kind="out_of_stock")
    if subtotal != sub.unit_price * quantity:
        payments.flag_for_staff(renewal, f"Stripe billed {subtotal} for items priced {sub.unit_price * quantity}; "
                                "check the subscription's price in the Stripe dashboard", kind="amount_mismatch",
                                data={"invoice_id": invoice_id})
    payments.store_payment_details(renewal, payment_intent_id=_invoice_payment_intent(invoice_id))
    payments.mark_paid(renewal, message=f"Renewal invoice {invoice_id} paid")
    return renewal


def _billed_quantity(invoice: dict) -> int:
    """The bottles a renewal invoice billed (its subscription item lines, prorations aside): what
    ships, even when the quantity change's own event has not arrived yet. 0 when it does not say."""
    lines = invoice.get("lines") if isinstance(invoice.get("lines"), dict) else {}
    total = 0
    for line in lines.get("data") if isinstance(lines.get("data"), list) else []:
        parent = line.get("parent") if isinstance(line, dict) and isinstance(line.get("parent"), dict) else {}
        details = parent.get("subscription_item_details")
        if isinstance(details, dict) and not details.get("proration") and _whole(line.get("quantity")):
            total += _whole(line.get("quantity"))
    return total


def _invoice_subscription(invoice: dict) -> str | None:
    parent = invoice.get("parent") if isinstance(invoice.get("parent"), dict) else {}
    details = parent.get("subscription_details") if isinstance(parent.get("subscription_details"), dict) else {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


def _invoice_payment_intent(invoice_id: str) -> str | None:
    """The payment intent that paid the invoice (refunds of the renewal order go to it), or None
    when Stripe cannot say now (the order is paid all the same; staff refund in the dashboard)."""
    from shop.payments import stripe_gateway

    try:
        invoice = stripe_gateway.retrieve_invoice(invoice_id, expand=["payments"])
    except stripe_gateway.PaymentProviderError as exc:
        log.warning("Could not read the payments of invoice %s: %s", invoice_id, exc.detail)
        return None
    payments = (invoice.get("payments") or {}).get("data") if isinstance(invoice.get("payments"), dict) else None
    for row in payments or []:
        payment = row.get("payment") if isinstance(row, dict) else None
        if isinstance(payment, dict) and payment.get("payment_intent"):
            return _id(payment["payment_intent"])
    return None


def _whole(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _id(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value[:255] if isinstance(value, str) and value else None


# --- the customer's account page ----------------------------------------------------------------

def subscriptions_for_email(email: str) -> list[dict]:
    """The subscriptions started by orders of `email` (letter case aside), newest first, each
    with its product's name and its manage links; those whose checkout was never paid are left
    out. In a constant number of queries (and the links, signed without any)."""
    rows = db.session.execute(
        select(Subscription, Product.name)
        .join(Order, Order.id == Subscription.order_id).join(Product, Product.id == Subscription.product_id)
        .where(func.lower(Order.email) == email.strip().lower(),
               Subscription.status.not_in((INCOMPLETE, INCOMPLETE_EXPIRED)))
        .order_by(Subscription.id.desc())).all()
    return [{"subscription": sub, "product_name": name, "links": manage_links(sub)} for sub, name in rows]
