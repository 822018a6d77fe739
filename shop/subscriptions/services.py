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
from sqlalchemy import select

from shop.catalog.models import STEP_DOSE, Product
from shop.db import as_utc, utcnow
from shop.errors import Unprocessable
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


def check_subscribable(product: Product, index: int) -> None:
    if product.subscription_discount_percent is None:
        raise Unprocessable("This product cannot be subscribed to",
                            errors={f"items.{index}.subscribe": ["This product cannot be subscribed to"]})


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
    next_bill = remote.get("trial_end") if status == "trialing" else None
    next_bill = next_bill or (first.get("current_period_end") if isinstance(first, dict) else None)
    if sub.status == CANCELED:
        next_bill = None
    if isinstance(next_bill, int) and not isinstance(next_bill, bool):
        moment = datetime.fromtimestamp(next_bill, UTC)
        sub.next_billing_at = moment
        sub.next_renewal_on = plan.local_date(moment, current_app.config["SHOP_TIMEZONE"])
    elif sub.status == CANCELED:
        sub.next_billing_at = None
        sub.next_renewal_on = None


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
    renewal_on = starts_on + timedelta(days=first_renewal_days(product, sub.quantity, holds))
    return move_next_bill(sub, renewal_on)


def move_next_bill(sub: Subscription, renewal_on: date) -> bool:
    """Ask Stripe to bill next on `renewal_on` (BILLING_HOUR shop time); the date is kept even
    when Stripe cannot be reached (it then bills on its earlier date)."""
    from shop.payments import stripe_gateway

    tz = current_app.config["SHOP_TIMEZONE"]
    moment = plan.evening_of(renewal_on, BILLING_HOUR, tz)
    earliest = utcnow() + timedelta(hours=1)
    if moment < earliest:
        moment = earliest
    sub.next_renewal_on = renewal_on
    if not sub.stripe_subscription_id:
        return False
    try:
        remote = stripe_gateway.update_subscription(
            sub.stripe_subscription_id, {"trial_end": int(moment.timestamp()), "proration_behavior": "none"},
            idempotency_key=f"subscription-{sub.id}-bill-at-{int(moment.timestamp())}")
    except stripe_gateway.PaymentProviderError as exc:
        log.warning("Could not move subscription %s's next bill to %s: %s", sub.id, renewal_on, exc.detail)
        return False
    apply_remote(sub, remote)
    sub.next_renewal_on = renewal_on
    return True


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
    return [{"subscription": sub, "email": email, "product_name": name, "renewal_order_ids": renewals.get(sub.id, [])}
            for sub, email, name in rows]


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
    product = db.session.get(Product, sub.product_id)
    queue_email(
        "subscription_payment_failed", order.email, order_id=order.id,
        dedupe_key=f"subscription-payment-failed:{invoice_id}:{attempt}",
        context={"order": order, "product_name": product.name, "quantity": sub.quantity,
                 "amount": _whole(invoice.get("amount_due")), "currency": sub.currency,
                 "card_url": links.link(sub.id, links.CARD)},
    )
    return "card update requested"


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
        return {action: links.link(sub.id, action) for action in (links.RESUME, links.CANCEL)}
    if sub.status not in LIVE or sub.next_renewal_on is None:
        return {}
    on = sub.next_renewal_on.isoformat()
    return {action: links.link(sub.id, action, on)
            for action in (links.DELAY, links.SKIP, links.PAUSE, links.CANCEL)}


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
    if not move_next_bill(sub, sub.next_renewal_on + timedelta(days=days)):
        raise Unprocessable("We could not change your subscription just now; please try again later")
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
    sub.status = CANCELED
    sub.next_renewal_on = sub.next_billing_at = None
    return True


# --- renewals ---------------------------------------------------------------------------------

def invoice_paid(order: Order, invoice: dict) -> str:
    """A paid renewal invoice becomes one paid order (by invoice id), shipped to the address on
    file, charged what Stripe charged. The first invoice (`subscription_create`) paid the
    checkout's own order."""
    if invoice.get("billing_reason") != "subscription_cycle":
        return f"ignored ({invoice.get('billing_reason')})"
    sub = first_order_subscription(order)
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
                                   quantity=sub.quantity, unit_price=sub.unit_price))
    db.session.add(renewal)
    db.session.flush()
    states.record_event(renewal, actor="stripe", kind="created",
                        message=f"Renewal of subscription {sub.id} (invoice {invoice_id}, first order {first.id})",
                        data={"invoice_id": invoice_id, "subscription_id": sub.id, "total": total})
    try:
        with db.session.begin_nested():
            stock.reserve({product.id: sub.quantity})
        renewal.stock_reserved = True
    except stock.OutOfStock:
        payments.flag_for_staff(renewal, f"Renewal paid but {product.name} is out of stock: restock or refund",
                                kind="out_of_stock")
    if subtotal != sub.unit_price * sub.quantity:
        payments.flag_for_staff(renewal, f"Stripe billed {subtotal} for items priced {sub.unit_price * sub.quantity}; "
                                "check the subscription's price in the Stripe dashboard", kind="amount_mismatch",
                                data={"invoice_id": invoice_id})
    payments.store_payment_details(renewal, payment_intent_id=_invoice_payment_intent(invoice_id))
    payments.mark_paid(renewal, message=f"Renewal invoice {invoice_id} paid")
    return renewal


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
