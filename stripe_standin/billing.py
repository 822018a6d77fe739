"""Subscriptions and their invoices: started by Checkout, changed by the API, renewed by the clock.

A subscription's periods are counted from its `billing_cycle_anchor`: period n ends n intervals
after it (months keep the anchor's day, or the month's last day), so no period drifts. A trial
ends at the anchor (`trial_end`): moving `trial_end` moves the anchor, and so the next bill.

Whenever the clock moves (`run_due`: every request and `POST /_standin/clock`), each
subscription whose period has ended is billed, once per period crossed and in time order: the
period rolls on (`customer.subscription.updated`), and an invoice (`billing_reason`
`subscription_cycle`) is created, finalized and charged to the customer's card at once (the
hour Stripe leaves an invoice in draft is skipped). A card that declines (see
`set_declines`) leaves the invoice `open` with `next_payment_attempt`, the subscription
`past_due`; it is retried 3, 5 and 7 days later and, when the fourth attempt fails, the
subscription is canceled (Stripe's default). Paused collection (`pause_collection`) still
rolls the periods but voids the invoices (`void`), leaves them in draft (`keep_as_draft`) or
marks them uncollectible (`mark_uncollectible`), until `resumes_at` or a resume.

`items` change a subscription's prices and quantities: `items[n][price]` (a price made
beforehand) or `items[n][price_data]` (currency, product, recurring, unit_amount, tax_behavior:
a price made for the item). A new interval starts a new period at once and bills it, as Stripe
does, unless the subscription is trialing (a `trial_end` in the same update keeps the next bill
where it was).

Invoices take the current API version's shape: the subscription is named under
`parent.subscription_details.subscription`, each line's item under
`parent.subscription_item_details`, and payments are InvoicePayments (`payments`).
"""
import calendar
import copy
from datetime import datetime, timezone

from stripe_standin import totals
from stripe_standin.account import Account, new_id
from stripe_standin.customers import changed, customer_of, new_price
from stripe_standin.params import (StripeError, boolean, expand, integer, invalid,
                                   merged_metadata, missing, no_such, one_of, only, text)
from stripe_standin.shapes import (CARD_DETAILS, CHARGE, INVOICE, INVOICE_LINE, INVOICE_PAYMENT,
                                   PAYMENT_INTENT, PLAN, SUBSCRIPTION, SUBSCRIPTION_ITEM, shaped)

DAY = 24 * 60 * 60
RETRY_DAYS = (3, 5, 7)  # after the first failed attempt; then the subscription is canceled
LIVE = ("active", "trialing", "past_due")
PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
DECLINES = {"card_declined": "Your card was declined.",
            "insufficient_funds": "Your card has insufficient funds.",
            "expired_card": "Your card has expired."}


# -- time ----------------------------------------------------------------------------------
def add_interval(ts: int, interval: str, count: int, times: int = 1) -> int:
    """`times` intervals after `ts`; months (and years) keep the day, or the month's last."""
    if interval == "day":
        return ts + DAY * count * times
    if interval == "week":
        return ts + 7 * DAY * count * times
    moment = datetime.fromtimestamp(ts, timezone.utc)
    months = moment.month - 1 + count * times * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def _period_end(sub: dict, state: dict) -> int:
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    return add_interval(sub["billing_cycle_anchor"], recurring["interval"],
                        recurring["interval_count"], state["cycle"])


def _set_period(sub: dict, start: int, end: int) -> None:
    for item in sub["items"]["data"]:
        item.update(current_period_start=start, current_period_end=end)


def _snapshot(sub: dict) -> dict:
    return copy.deepcopy(sub)


def _announce(account: Account, sub: dict, before: dict, request: dict | None = None,
              at: int | None = None) -> None:
    previous = {k: v for k, v in before.items() if sub.get(k) != v}
    if previous:
        account.emit("customer.subscription.updated", sub, request, previous=previous, created=at)


# -- starting ------------------------------------------------------------------------------
def subscription_item(account: Account, sub_id: str, price: dict, quantity: int,
                      created: int) -> dict:
    recurring = price["recurring"]
    plan = shaped(PLAN, id=price["id"], amount=price["unit_amount"],
                  amount_decimal=price["unit_amount_decimal"], created=price["created"],
                  currency=price["currency"], interval=recurring["interval"],
                  interval_count=recurring["interval_count"], product=price["product"],
                  active=price["active"])
    return shaped(SUBSCRIPTION_ITEM, id=new_id("si_", 14), created=created, plan=plan,
                  price=copy.deepcopy(price), quantity=quantity, subscription=sub_id)


def start(account: Account, *, customer: dict, items: list[tuple[dict, int]], at: int,
          trial_end: int | None = None, anchor: int | None = None,
          prorate: bool = True, metadata_: dict | None = None, description: str | None = None,
          coupon: dict | None = None, tax_percentage=None, one_off: list[dict] = (),
          payment_method: str | None = None) -> tuple[dict, dict]:
    """A new subscription and its first invoice, paid by card; callers hold `together()`.

    `items` are (recurring price, quantity); `one_off` are line items charged once, on the
    first invoice. With `trial_end` the first invoice is for nothing and the subscription
    `trialing`; with a future `anchor` the first period runs until it (prorated, unless not).
    """
    intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p, _ in items}
    if len(intervals) > 1:
        raise invalid("line_items", "All recurring prices of a subscription must have the same "
                                    "interval and interval_count.")
    sub_id = new_id("sub_1")
    sub = shaped(
        SUBSCRIPTION, id=sub_id, created=at, start_date=at, currency=items[0][0]["currency"],
        customer=customer["id"], metadata=dict(metadata_ or {}), description=description,
        default_payment_method=payment_method, status="incomplete",
        billing_cycle_anchor=trial_end or anchor or at,
        items={"object": "list", "has_more": False, "total_count": len(items),
               "url": f"/v1/subscription_items?subscription={sub_id}",
               "data": [subscription_item(account, sub_id, p, q, at) for p, q in items]},
        automatic_tax={"disabled_reason": None, "enabled": tax_percentage is not None,
                       "liability": {"type": "self"} if tax_percentage is not None else None},
    )
    state = {"cycle": 0 if (trial_end or anchor) else 1, "coupon": None, "coupon_start": at,
             "tax_percentage": tax_percentage, "pending": []}
    if coupon is not None:
        state["coupon"] = coupon["id"]
        sub["discounts"] = [new_id("di_", 14)]
    account.subscriptions[sub_id] = sub
    account.billing_state[sub_id] = state
    end = _period_end(sub, state)
    _set_period(sub, at, end)
    if trial_end:
        sub.update(status="trialing", trial_start=at, trial_end=trial_end)
    account.emit("customer.subscription.created", sub)
    fraction = None
    if anchor and not trial_end:
        full = add_interval(at, items[0][0]["recurring"]["interval"],
                            items[0][0]["recurring"]["interval_count"]) - at
        fraction = (end - at) / full if prorate else 0
    before = _snapshot(sub)
    invoice = _bill(account, sub, "subscription_create", at, end, at, free=bool(trial_end),
                    fraction=fraction, one_off=one_off)
    if sub["status"] == "incomplete" and invoice["status"] == "paid":
        sub["status"] = "active"
    _announce(account, sub, before)
    return sub, invoice


# -- invoices ------------------------------------------------------------------------------
def _bill(account: Account, sub: dict, reason: str, start_: int, end: int, at: int, *,
          free: bool = False, fraction=None, one_off=(), prorations_only: bool = False,
          usage: tuple[int, int] | None = None) -> dict:
    """Invoice a period of `sub` (with pending prorations) and collect it, as its pause says."""
    invoice = _invoice(account, sub, reason, start_, end, at, free=free, fraction=fraction,
                       one_off=one_off, prorations_only=prorations_only, usage=usage or (at, at))
    sub["latest_invoice"] = invoice["id"]
    pause = sub["pause_collection"]
    if pause and pause["behavior"] == "keep_as_draft":
        invoice["auto_advance"] = False
        return invoice
    _finalize(account, invoice, at)
    if pause and pause["behavior"] == "void":
        invoice.update(status="void", amount_remaining=0, auto_advance=False,
                       status_transitions=dict(invoice["status_transitions"], voided_at=at))
        account.emit("invoice.voided", invoice, created=at)
        return invoice
    if pause and pause["behavior"] == "mark_uncollectible":
        invoice.update(status="uncollectible", auto_advance=False, status_transitions=dict(
            invoice["status_transitions"], marked_uncollectible_at=at))
        account.emit("invoice.marked_uncollectible", invoice, created=at)
        return invoice
    attempt(account, invoice, at)
    return invoice


def _coupon_applies(account: Account, state: dict, at: int, first: bool) -> dict | None:
    coupon = account.coupons.get(state.get("coupon") or "")
    if coupon is None:
        return None
    if coupon["duration"] == "once":
        return coupon if first else None
    if coupon["duration"] == "repeating":
        months = coupon.get("duration_in_months") or 0
        return coupon if at < add_interval(state["coupon_start"], "month", 1, months) else None
    return coupon


def _invoice(account: Account, sub: dict, reason: str, start_: int, end: int, at: int, *,
             free: bool, fraction, one_off, prorations_only: bool, usage: tuple[int, int]) -> dict:
    state = account.billing_state[sub["id"]]
    customer = account.customers[sub["customer"]]
    invoice_id = new_id("in_1")
    lines = []
    for item in [] if prorations_only else sub["items"]["data"]:
        price = item["price"]
        amount = 0 if free else price["unit_amount"] * item["quantity"]
        description = f"{item['quantity']} × {_product_name(account, price)}"
        if free:
            description = f"Trial period for {_product_name(account, price)}"
        elif fraction is not None:
            amount = round(amount * fraction)
            description = f"Remaining time on {description}"
        lines.append(_line(invoice_id, sub, item, amount, description, start_, end,
                           proration=fraction is not None))
    for item in one_off:
        lines.append(shaped(
            INVOICE_LINE, id=new_id("il_1"), amount=item["amount_subtotal"],
            currency=item["currency"], description=item["description"], invoice=invoice_id,
            period={"start": at, "end": at}, quantity=item["quantity"],
            subtotal=item["amount_subtotal"],
            pricing={"price_details": {"price": item["price"]["id"],
                                       "product": item["price"]["product"]},
                     "type": "price_details",
                     "unit_amount_decimal": item["price"]["unit_amount_decimal"]},
            parent={"invoice_item_details": {"invoice_item": new_id("ii_1"), "proration": False,
                                             "proration_details": {"credited_items": None},
                                             "subscription": sub["id"]},
                    "subscription_item_details": None, "type": "invoice_item_details"}))
    for pending in state["pending"]:
        lines.append(dict(pending, invoice=invoice_id))
    state["pending"] = []
    subtotal = sum(line["amount"] for line in lines)
    coupon = _coupon_applies(account, state, at, reason == "subscription_create")
    discount = totals.discount_for(coupon, max(subtotal, 0)) if not free else 0
    percentage = state.get("tax_percentage")
    tax = totals.percent_of(max(subtotal - discount, 0), percentage) if percentage else 0
    total = subtotal - discount + tax
    due = max(total, 0)
    invoice = shaped(
        INVOICE, id=invoice_id, created=at, currency=sub["currency"], customer=customer["id"],
        customer_email=customer["email"], customer_name=customer["name"],
        customer_phone=customer["phone"], customer_address=customer["address"],
        customer_shipping=customer["shipping"], billing_reason=reason,
        default_payment_method=sub["default_payment_method"], description=sub["description"],
        # Stripe's quirk: an invoice's own period is the one just ended (when items could be
        # added to it); its lines' periods are the one it bills.
        period_start=usage[0], period_end=usage[1], subtotal=subtotal, subtotal_excluding_tax=subtotal,
        total=total, total_excluding_tax=subtotal - discount, amount_due=due,
        amount_remaining=due, discounts=list(sub["discounts"]) if discount else [],
        total_discount_amounts=[{"amount": discount, "discount": sub["discounts"][0]}]
        if discount else [],
        total_taxes=[{"amount": tax, "tax_behavior": "exclusive",
                      "tax_rate_details": {"tax_rate": "txr_standin"},
                      "taxability_reason": "standard_rated",
                      "taxable_amount": subtotal - discount, "type": "tax_rate_details"}]
        if percentage else [],
        automatic_tax=dict(INVOICE["automatic_tax"], enabled=percentage is not None,
                           status="complete" if percentage is not None else None),
        lines={"object": "list", "data": lines, "has_more": False, "total_count": len(lines),
               "url": f"/v1/invoices/{invoice_id}/lines"},
        parent={"quote_details": None, "type": "subscription_details",
                "subscription_details": {"metadata": dict(sub["metadata"]),
                                         "subscription": sub["id"]}},
    )
    account.invoices[invoice_id] = invoice
    account.emit("invoice.created", invoice, created=at)
    return invoice


def _product_name(account: Account, price: dict) -> str:
    product = account.products.get(price["product"])
    return product["name"] if product else price["product"]


def _line(invoice_id: str, sub: dict, item: dict, amount: int, description: str, start_: int,
          end: int, proration: bool = False) -> dict:
    price = item["price"]
    return shaped(
        INVOICE_LINE, id=new_id("il_1"), amount=amount, currency=price["currency"],
        description=description, invoice=invoice_id, period={"start": start_, "end": end},
        quantity=item["quantity"], subtotal=amount, metadata=dict(item["metadata"]),
        pricing={"price_details": {"price": price["id"], "product": price["product"]},
                 "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]},
        parent={"invoice_item_details": None, "type": "subscription_item_details",
                "subscription_item_details": {
                    "invoice_item": None, "proration": proration,
                    "proration_details": {"credited_items": None},
                    "subscription": sub["id"], "subscription_item": item["id"]}})


def _finalize(account: Account, invoice: dict, at: int) -> None:
    customer = account.customers[invoice["customer"]]
    number = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = number + 1
    invoice.update(
        status="open", number=f"{customer['invoice_prefix']}-{number:04d}", effective_at=at,
        hosted_invoice_url=f"{account.base_url}/invoices/{invoice['id']}",
        invoice_pdf=f"{account.base_url}/invoices/{invoice['id']}/pdf",
        status_transitions=dict(invoice["status_transitions"], finalized_at=at))
    account.emit("invoice.finalized", invoice, created=at)


# -- collecting ----------------------------------------------------------------------------
def attempt(account: Account, invoice: dict, at: int) -> bool:
    """Charge an open invoice to its customer's card: paid, or failed (retried later)."""
    if invoice["amount_due"] == 0:
        _paid(account, invoice, at)
        return True
    customer = account.customers[invoice["customer"]]
    code = account.card_declines.get(customer["id"])
    intent = _intent(account, invoice, customer, at)
    charge = _charge(account, intent, customer, at, code)
    invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
    if code is None:
        intent.update(status="succeeded", amount_received=intent["amount"],
                      last_payment_error=None)
        account.emit("charge.succeeded", charge, created=at)
        account.emit("payment_intent.succeeded", intent, created=at)
        _paid(account, invoice, at)
        return True
    intent.update(status="requires_payment_method", last_payment_error={
        "type": "card_error", "code": code, "decline_code": code, "message": DECLINES[code],
        "charge": charge["id"]})
    account.emit("charge.failed", charge, created=at)
    account.emit("payment_intent.payment_failed", intent, created=at)
    retries_made = invoice["attempt_count"] - 1
    invoice["next_payment_attempt"] = (at + RETRY_DAYS[retries_made] * DAY
                                       if retries_made < len(RETRY_DAYS) else None)
    account.emit("invoice.payment_failed", invoice, created=at)
    sub = _subscription_of(account, invoice)
    if sub is None or sub["status"] not in LIVE:
        return False
    before = _snapshot(sub)
    if invoice["next_payment_attempt"] is None:
        end(account, sub, at, "payment_failed")
    elif sub["status"] != "past_due" and sub["latest_invoice"] == invoice["id"]:
        sub["status"] = "past_due"
        _announce(account, sub, before, at=at)
    return False


def _subscription_of(account: Account, invoice: dict) -> dict | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return account.subscriptions.get(details.get("subscription") or "")


def _intent(account: Account, invoice: dict, customer: dict, at: int) -> dict:
    """The invoice's PaymentIntent (one per invoice, reused by every retry)."""
    for payment in account.invoice_payments.values():
        if payment["invoice"] == invoice["id"]:
            return account.payment_intents[payment["payment"]["payment_intent"]]
    intent_id = new_id("pi_3")
    intent = shaped(
        PAYMENT_INTENT, id=intent_id, amount=invoice["amount_due"], created=at,
        currency=invoice["currency"], customer=customer["id"],
        client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        description="Subscription creation" if invoice["billing_reason"] == "subscription_create"
        else "Subscription update", receipt_email=customer["email"],
        payment_method=customer["invoice_settings"]["default_payment_method"] or new_id("pm_1"),
        setup_future_usage="off_session", status="requires_confirmation")
    account.payment_intents[intent_id] = intent
    account.emit("payment_intent.created", intent, created=at)
    payment = shaped(INVOICE_PAYMENT, id=new_id("inpay_1"), amount_requested=invoice["amount_due"],
                     amount_paid=0, created=at, currency=invoice["currency"],
                     invoice=invoice["id"],
                     payment={"type": "payment_intent", "payment_intent": intent_id})
    account.invoice_payments[payment["id"]] = payment
    return intent


def _charge(account: Account, intent: dict, customer: dict, at: int, code: str | None) -> dict:
    charge_id = new_id("ch_3")
    ok = code is None
    billing = dict(CHARGE["billing_details"], email=customer["email"],
                   name=customer["name"] or CHARGE["billing_details"]["name"],
                   phone=customer["phone"])
    if customer["address"]:
        billing["address"] = dict(customer["address"])
    outcome = dict(CHARGE["outcome"])
    if not ok:
        outcome.update(network_status="declined_by_network", reason="generic_decline",
                       seller_message="The bank did not return any further details with this "
                                      "decline.", type="issuer_declined", risk_score=20)
    charge = shaped(
        CHARGE, id=charge_id, amount=intent["amount"], created=at,
        amount_captured=intent["amount"] if ok else 0, currency=intent["currency"],
        customer=customer["id"], balance_transaction=new_id("txn_3") if ok else None,
        payment_intent=intent["id"], payment_method=intent["payment_method"],
        payment_method_details={"card": dict(CARD_DETAILS, amount_authorized=intent["amount"]
                                             if ok else None), "type": "card"},
        billing_details=billing, receipt_email=customer["email"], paid=ok,
        captured=ok, status="succeeded" if ok else "failed", outcome=outcome,
        failure_code=code, failure_message=DECLINES.get(code) if code else None,
        receipt_url=f"{account.base_url}/receipts/{charge_id}" if ok else None,
        description=intent["description"])
    account.charges[charge_id] = charge
    intent["latest_charge"] = charge_id
    return charge


def _paid(account: Account, invoice: dict, at: int) -> None:
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                   attempted=True, next_payment_attempt=None,
                   status_transitions=dict(invoice["status_transitions"], paid_at=at))
    for payment in account.invoice_payments.values():
        if payment["invoice"] == invoice["id"]:
            payment.update(status="paid", amount_paid=invoice["amount_due"],
                           status_transitions={"canceled_at": None, "paid_at": at})
            account.emit("invoice_payment.paid", payment, created=at)
    account.emit("invoice.paid", invoice, created=at)
    account.emit("invoice.payment_succeeded", invoice, created=at)
    sub = _subscription_of(account, invoice)
    if sub is not None and sub["status"] == "past_due" and not any(
            i["status"] == "open" and _subscription_of(account, i) is sub
            for i in account.invoices.values()):
        before = _snapshot(sub)
        sub["status"] = "active"
        _announce(account, sub, before, at=at)


def end(account: Account, sub: dict, at: int, reason: str, request: dict | None = None) -> None:
    """The subscription ends now (`customer.subscription.deleted`)."""
    sub.update(status="canceled", canceled_at=sub["canceled_at"] or at, ended_at=at,
               cancellation_details=dict(sub["cancellation_details"], reason=reason))
    for invoice in account.invoices.values():  # no more retries of what it left unpaid
        if invoice["status"] == "open" and _subscription_of(account, invoice) is sub:
            invoice["next_payment_attempt"] = None
    account.emit("customer.subscription.deleted", sub, request, created=at)


# -- the clock -----------------------------------------------------------------------------
def run_due(account: Account) -> int:
    """Do everything that has fallen due by now, earliest first; returns how many things."""
    done = 0
    with account.together():
        while done < 10000:
            now = account.now()
            due = [d for d in _due(account) if d[0] <= now]
            if not due:
                return done
            when, _, kind, sub_id, ref = min(due)
            sub = account.subscriptions[sub_id]
            if kind == "resume":
                before = _snapshot(sub)
                sub["pause_collection"] = None
                _announce(account, sub, before, at=when)
            elif kind == "retry":
                attempt(account, account.invoices[ref], when)
            else:
                _renew(account, sub, when)
            done += 1
    return done


def _due(account: Account):
    """(when, priority, kind, subscription, reference) for each thing waiting to happen."""
    for sub in account.subscriptions.values():
        if sub["status"] not in LIVE:
            continue
        pause = sub["pause_collection"]
        if pause and pause.get("resumes_at"):
            yield pause["resumes_at"], 0, "resume", sub["id"], None
        yield _period_end(sub, account.billing_state[sub["id"]]), 1, "cycle", sub["id"], None
    for invoice in account.invoices.values():
        sub = _subscription_of(account, invoice)
        if invoice["status"] == "open" and invoice["next_payment_attempt"] and sub is not None:
            yield invoice["next_payment_attempt"], 2, "retry", sub["id"], invoice["id"]


def _renew(account: Account, sub: dict, at: int, reason: str = "subscription_cycle",
           request: dict | None = None) -> None:
    """The period ends: roll on to the next and bill it (or end, when that was asked for)."""
    if sub["cancel_at_period_end"]:
        end(account, sub, at, "cancellation_requested")
        return
    before = _snapshot(sub)
    ended = (sub["items"]["data"][0]["current_period_start"], at)
    _roll(account, sub, at)
    _announce(account, sub, before, request, at=at)
    _bill(account, sub, reason, at, sub["items"]["data"][0]["current_period_end"], at,
          usage=ended)


def _roll(account: Account, sub: dict, at: int) -> None:
    state = account.billing_state[sub["id"]]
    state["cycle"] += 1
    _set_period(sub, at, _period_end(sub, state))
    if sub["status"] == "trialing":
        sub["status"] = "active"


# -- the API -------------------------------------------------------------------------------
def retrieve(account: Account, sub_id: str, params: dict) -> dict:
    return account.get("subscriptions", sub_id, "subscription", expand(params))


def list_subscriptions(account: Account, params: dict) -> dict:
    status = params.get("status")
    with account.lock:
        found = [s for s in account.subscriptions.values()
                 if (not params.get("customer") or s["customer"] == params["customer"])
                 and (not params.get("price") or any(
                     i["price"]["id"] == params["price"] for i in s["items"]["data"]))
                 and (s["status"] == status if status and status != "all"
                      else status == "all" or s["status"] != "canceled")]
        return account.page(found, params, "/v1/subscriptions", expand(params))


_UPDATABLE = {"trial_end", "pause_collection", "cancel_at_period_end", "items",
              "proration_behavior", "metadata", "description", "default_payment_method",
              "expand", "payment_behavior", "cancellation_details"}


def update(account: Account, sub_id: str, params: dict, request: dict | None) -> dict:
    only(params, _UPDATABLE)
    with account.together():
        sub = _live(account, sub_id)
        saved, saved_state = _snapshot(sub), copy.deepcopy(account.billing_state[sub_id])
        try:
            return _update(account, sub, params, request)
        except StripeError:  # a refused request changes nothing, whichever parameter it tripped on
            sub.clear()
            sub.update(saved)
            account.billing_state[sub_id] = saved_state
            raise


def _update(account: Account, sub: dict, params: dict, request: dict | None) -> dict:
    state = account.billing_state[sub["id"]]
    now = account.now()
    behavior = one_of(params, "proration_behavior", PRORATION_BEHAVIORS,
                      default="create_prorations")
    before = _snapshot(sub)
    interval_before = _interval(sub)
    trial_now = _trial_end(sub, state, params, now)
    if "pause_collection" in params:
        sub["pause_collection"] = _pause(params["pause_collection"], now)
    at_period_end = boolean(params, "cancel_at_period_end")
    if at_period_end is not None:
        sub.update(cancel_at_period_end=at_period_end,
                   cancel_at=_period_end(sub, state) if at_period_end else None,
                   canceled_at=now if at_period_end else None)
    if "metadata" in params:
        sub["metadata"] = merged_metadata(sub["metadata"], params)
    if "description" in params:
        sub["description"] = text(params, "description")
    if params.get("default_payment_method"):
        sub["default_payment_method"] = text(params, "default_payment_method")
    if isinstance(params.get("cancellation_details"), dict):
        details = params["cancellation_details"]
        only(details, {"comment", "feedback"}, "cancellation_details")
        sub["cancellation_details"] = dict(sub["cancellation_details"], **{
            k: text(details, k) for k in ("comment", "feedback") if k in details})
    if "items" in params:
        _change_items(account, sub, state, params["items"], behavior, now)
    # Stripe's rule: a price with another interval starts a new period now, billed at once,
    # unless the subscription is in a trial (then the trial's end stays the next bill).
    restart = ("items" in params and _interval(sub) != interval_before
               and sub["status"] != "trialing" and not trial_now)
    if restart:
        sub["billing_cycle_anchor"] = now
        state["cycle"] = 0
    if trial_now or restart:
        _roll(account, sub, now)
    _announce(account, sub, before, request, at=now)
    if trial_now or restart:
        _bill(account, sub, "subscription_update", now,
              sub["items"]["data"][0]["current_period_end"], now)
    elif "items" in params and behavior == "always_invoice" and state["pending"]:
        _bill_prorations(account, sub, now)
    return account.expanded(sub, expand(params))


def _live(account: Account, sub_id: str) -> dict:
    sub = account.subscriptions.get(sub_id)
    if sub is None:
        raise no_such("subscription", sub_id)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise StripeError("A canceled subscription can only update its cancellation_details "
                          "and metadata.")
    return sub


def _trial_end(sub: dict, state: dict, params: dict, now: int) -> bool:
    """`trial_end`: a future timestamp (the trial, and the next bill, move there) or `now`
    (the trial ends and the next period is billed at once). True for `now`."""
    raw = params.get("trial_end")
    if raw in (None, ""):
        return False
    if raw == "now":
        if sub["status"] != "trialing":
            return False
        sub.update(trial_end=now, billing_cycle_anchor=now)
        state["cycle"] = 0
        return True
    trial_end = integer(params, "trial_end")
    if trial_end <= now:
        raise invalid("trial_end", "Invalid timestamp: must be an integer Unix timestamp in the "
                                   "future.")
    if trial_end > now + 730 * DAY:
        raise invalid("trial_end", "Invalid timestamp: can be no more than two years in the "
                                   "future.")
    start_ = sub["items"]["data"][0]["current_period_start"]
    sub.update(trial_end=trial_end, billing_cycle_anchor=trial_end, status="trialing",
               trial_start=sub["trial_start"] if sub["status"] == "trialing" else now)
    state["cycle"] = 0
    _set_period(sub, start_, trial_end)
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = trial_end
    return False


def _pause(raw, now: int) -> dict | None:
    if raw == "":
        return None
    if not isinstance(raw, dict):
        raise invalid("pause_collection", "Invalid object: pause_collection")
    only(raw, {"behavior", "resumes_at"}, "pause_collection")
    behavior = one_of(raw, "behavior", PAUSE_BEHAVIORS, required=True,
                      label="pause_collection[behavior]")
    resumes_at = integer(raw, "resumes_at", label="pause_collection[resumes_at]")
    if resumes_at is not None and resumes_at <= now:
        raise invalid("pause_collection[resumes_at]", "Invalid timestamp: must be an integer "
                                                      "Unix timestamp in the future.")
    return {"behavior": behavior, "resumes_at": resumes_at}


def _change_items(account: Account, sub: dict, state: dict, raw, behavior: str, now: int) -> None:
    """`items[n][id]` with a new `quantity` or `price`, `items[n][deleted]`, or a new item
    (`items[n][price]` without an id). Prorations (unless `none`) wait for the next invoice."""
    if not isinstance(raw, list):
        raise invalid("items", "Invalid array")
    items = sub["items"]["data"]
    for index, change in enumerate(raw):
        label = f"items[{index}]"
        if not isinstance(change, dict):
            raise invalid(label, f"Invalid object: {label}")
        only(change, {"id", "quantity", "price", "price_data", "deleted", "metadata"}, label)
        quantity = integer(change, "quantity", minimum=0, label=f"{label}[quantity]")
        price = None
        if change.get("price") and change.get("price_data"):
            raise invalid(f"{label}[price]", "You may only specify one of these parameters: "
                                             "price, price_data.")
        if change.get("price_data"):
            price = _inline_price(account, change["price_data"], f"{label}[price_data]")
        elif change.get("price"):
            price = account.prices.get(change["price"])
            if price is None:
                raise no_such("price", change["price"], f"{label}[price]")
            if not price["recurring"]:
                raise invalid(f"{label}[price]", "The price specified is set to `type=one_time` "
                                                 "but this field only accepts prices with "
                                                 "`type=recurring`.")
        if not change.get("id"):
            if price is None:
                raise invalid(f"{label}[price]", "Give a price for a new subscription item.")
            item = subscription_item(account, sub["id"], price, quantity or 1, now)
            item.update(current_period_start=items[0]["current_period_start"],
                        current_period_end=items[0]["current_period_end"])
            _prorate(account, sub, state, None, item, behavior, now)
            items.append(item)
            continue
        item = next((i for i in items if i["id"] == change["id"]), None)
        if item is None:
            raise no_such("subscription_item", change["id"], f"{label}[id]")
        old = copy.deepcopy(item)
        if boolean(change, "deleted", label=f"{label}[deleted]"):
            _prorate(account, sub, state, old, None, behavior, now)
            items.remove(item)
            continue
        if price is not None:
            item["price"] = copy.deepcopy(price)
            item["plan"] = subscription_item(account, sub["id"], price, 1, now)["plan"]
        if quantity is not None:
            item["quantity"] = quantity
        if "metadata" in change:
            item["metadata"] = merged_metadata(item["metadata"], change)
        _prorate(account, sub, state, old, item, behavior, now)
    if not items:
        raise invalid("items", "A subscription must keep at least one item.")
    if len({(i["price"]["recurring"]["interval"], i["price"]["recurring"]["interval_count"])
            for i in items}) > 1:
        raise invalid("items", "All recurring prices of a subscription must have the same "
                               "interval and interval_count.")
    sub["items"]["total_count"] = len(items)


def _inline_price(account: Account, raw, label: str) -> dict:
    """`items[n][price_data]`: a recurring price for an existing product, made for this item
    (stored, inactive, as Stripe archives inline prices)."""
    if not isinstance(raw, dict):
        raise invalid(label, f"Invalid object: {label}")
    only(raw, {"currency", "product", "recurring", "tax_behavior", "unit_amount",
               "unit_amount_decimal"}, label)
    product_id = text(raw, "product", required=True, label=f"{label}[product]")
    if product_id not in account.products:
        raise no_such("product", product_id, f"{label}[product]")
    if raw.get("recurring") in (None, ""):
        raise missing(f"{label}[recurring]")
    price = new_price(account, raw, product_id, label)
    account.prices[price["id"]] = price
    return price


def _interval(sub: dict) -> tuple[str, int]:
    recurring = sub["items"]["data"][0]["price"]["recurring"]
    return recurring["interval"], recurring["interval_count"]


def _prorate(account: Account, sub: dict, state: dict, old: dict | None, new: dict | None,
             behavior: str, now: int) -> None:
    """Credit the unused time of `old` and charge the rest of the period for `new`."""
    if behavior == "none" or sub["status"] == "trialing":
        return
    reference = old or new
    start_, end_ = reference["current_period_start"], reference["current_period_end"]
    if end_ <= start_ or now >= end_:
        return
    share = (end_ - now) / (end_ - start_)
    for item, sign, words in ((old, -1, "Unused time on"), (new, 1, "Remaining time on")):
        if item is None or item["quantity"] == 0:
            continue
        amount = sign * round(item["price"]["unit_amount"] * item["quantity"] * share)
        description = f"{words} {item['quantity']} × {_product_name(account, item['price'])}"
        state["pending"].append(_line(None, sub, item, amount, description, now, end_,
                                      proration=True))
    if old and new and old["price"]["id"] == new["price"]["id"] \
            and old["quantity"] == new["quantity"]:
        state["pending"] = state["pending"][:-2]  # nothing changed: nothing to prorate


def _bill_prorations(account: Account, sub: dict, now: int) -> None:
    """`always_invoice`: the prorations are invoiced at once."""
    _bill(account, sub, "subscription_update", now,
          sub["items"]["data"][0]["current_period_end"], now, prorations_only=True)


def cancel(account: Account, sub_id: str, params: dict, request: dict | None) -> dict:
    only(params, {"invoice_now", "prorate", "cancellation_details", "expand"})
    with account.together():
        sub = account.subscriptions.get(sub_id)
        if sub is None:
            raise no_such("subscription", sub_id)
        if sub["status"] == "canceled":
            raise StripeError(f"This subscription has already been canceled: {sub_id}",
                              code="resource_missing", status=404)
        if isinstance(params.get("cancellation_details"), dict):
            details = params["cancellation_details"]
            sub["cancellation_details"] = dict(sub["cancellation_details"], **{
                k: text(details, k) for k in ("comment", "feedback") if k in details})
        end(account, sub, account.now(), "cancellation_requested", request)
        return account.expanded(sub, expand(params))


# -- invoices and cards --------------------------------------------------------------------
def retrieve_invoice(account: Account, invoice_id: str, params: dict) -> dict:
    with account.lock:
        invoice = account.invoices.get(invoice_id)
        if invoice is None:
            raise no_such("invoice", invoice_id)
        return _with_payments(account, account.expanded(invoice, expand(params) - {"payments"}),
                              expand(params))


def _with_payments(account: Account, invoice: dict, expanded: set) -> dict:
    if "payments" in expanded:
        found = [p for p in account.invoice_payments.values() if p["invoice"] == invoice["id"]]
        invoice["payments"] = {"object": "list", "data": copy.deepcopy(found), "has_more": False,
                               "url": f"/v1/invoice_payments?invoice={invoice['id']}"}
    return invoice


def list_invoices(account: Account, params: dict) -> dict:
    with account.lock:
        found = [i for i in account.invoices.values()
                 if (not params.get("customer") or i["customer"] == params["customer"])
                 and (not params.get("status") or i["status"] == params["status"])
                 and (not params.get("subscription")
                      or (_subscription_of(account, i) or {}).get("id") == params["subscription"])]
        page = account.page(found, params, "/v1/invoices",
                            {p for p in expand(params) if p != "data.payments"})
        for invoice in page["data"]:
            _with_payments(account, invoice, {p.removeprefix("data.") for p in expand(params)})
        return page


def list_invoice_payments(account: Account, params: dict) -> dict:
    with account.lock:
        found = [p for p in account.invoice_payments.values()
                 if not params.get("invoice") or p["invoice"] == params["invoice"]]
        return account.page(found, params, "/v1/invoice_payments", expand(params))


def set_declines(account: Account, customer_id: str, code: str | None) -> None:
    """From now on the customer's card declines with `code` (None: it is fine again)."""
    with account.lock:
        customer_of(account, customer_id)
        if code is None:
            account.card_declines.pop(customer_id, None)
        elif code not in DECLINES:
            raise StripeError(f"code is one of {', '.join(DECLINES)}", param="code")
        else:
            account.card_declines[customer_id] = code


def update_card(account: Account, customer_id: str) -> dict:
    """The customer gives a new card (billing portal): it becomes their default, their
    subscriptions' too, and their open subscription invoices are paid with it at once."""
    with account.together():
        customer = customer_of(account, customer_id)
        account.card_declines.pop(customer_id, None)
        method = new_id("pm_1")
        changed(account, "customer.updated", customer, {"invoice_settings": dict(
            customer["invoice_settings"], default_payment_method=method)})
        now = account.now()
        for sub in account.subscriptions.values():
            if sub["customer"] == customer_id and sub["status"] in LIVE:
                before = _snapshot(sub)
                sub["default_payment_method"] = method
                _announce(account, sub, before, at=now)
        for invoice in list(account.invoices.values()):
            sub = _subscription_of(account, invoice)
            if invoice["customer"] == customer_id and invoice["status"] == "open" \
                    and sub is not None and sub["status"] in LIVE:
                attempt(account, invoice, now)
        return account.expanded(customer, set())
