"""Stripe Billing through the official SDK: subscription Checkout, updates, renewals by the clock."""
import pytest
import requests
import stripe

DAY = 24 * 60 * 60


def monthly_item(unit_amount=2500, quantity=1, name="Magnesium glycinate, monthly"):
    return {"price_data": {"currency": "eur", "unit_amount": unit_amount,
                           "recurring": {"interval": "month"},
                           "product_data": {"name": name}}, "quantity": quantity}


def subscribe(stripe_client, stripe_standin, **overrides):
    """A paid subscription-mode session; returns (session, subscription)."""
    params = {"mode": "subscription", "line_items": [monthly_item()],
              "success_url": "http://shop.test/subscribed", "customer_email": "ada@example.com",
              "subscription_data": {"metadata": {"plan": "subscribe-and-save"}}}
    params.update(overrides)
    session = stripe_client.v1.checkout.sessions.create(params)
    stripe_standin.pay(session.id)
    session = stripe_client.v1.checkout.sessions.retrieve(session.id)
    return session, stripe_client.v1.subscriptions.retrieve(session.subscription)


def types(stripe_standin, since=0):
    return [e["type"] for e in stripe_standin.events()[since:]]


def advance(stripe_standin, seconds):
    answer = requests.post(f"{stripe_standin.url}/_standin/clock", json={"advance": seconds},
                           timeout=5)
    assert answer.status_code == 200
    return answer.json()


def test_a_subscription_checkout_completes_with_customer_subscription_and_paid_invoice(
        stripe_client, stripe_standin):
    session, sub = subscribe(stripe_client, stripe_standin)

    assert (session.status, session.payment_status, session.mode) == (
        "complete", "paid", "subscription")
    assert session.customer.startswith("cus_") and session.invoice.startswith("in_")
    assert session.payment_intent is None
    assert sub.status == "active"
    assert sub.customer == session.customer
    assert sub.metadata.to_dict() == {"plan": "subscribe-and-save"}
    item = sub["items"].data[0]
    assert item.price.recurring.interval == "month" and item.quantity == 1
    assert item.current_period_end > item.current_period_start
    invoice = stripe_client.v1.invoices.retrieve(session.invoice, {"expand": ["payments"]})
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == (
        "paid", "subscription_create", 2500)
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.lines.data[0].parent.subscription_item_details.subscription_item == item.id
    intent = invoice.payments.data[0].payment.payment_intent
    assert stripe_client.v1.payment_intents.retrieve(intent).status == "succeeded"
    customer = stripe_client.v1.customers.retrieve(session.customer)
    assert customer.email == "ada@example.com"
    assert types(stripe_standin) == [
        "customer.created", "customer.subscription.created", "invoice.created",
        "invoice.finalized", "payment_intent.created", "charge.succeeded",
        "payment_intent.succeeded", "invoice_payment.paid", "invoice.paid",
        "invoice.payment_succeeded", "customer.subscription.updated",
        "checkout.session.completed"]
    created = stripe_standin.events("customer.subscription.created")[0]
    assert created["data"]["object"]["status"] == "incomplete"
    updated = stripe_standin.events("customer.subscription.updated")[0]
    assert updated["data"]["previous_attributes"]["status"] == "incomplete"


def test_a_trial_bills_nothing_until_it_ends(stripe_client, stripe_standin):
    trial_end = stripe_standin.clock.now() + 14 * DAY
    session, sub = subscribe(stripe_client, stripe_standin,
                             subscription_data={"trial_end": trial_end})

    assert session.payment_status == "no_payment_required"
    assert (sub.status, sub.trial_end) == ("trialing", trial_end)
    assert sub["items"].data[0].current_period_end == trial_end
    assert stripe_client.v1.invoices.retrieve(session.invoice).amount_paid == 0

    advance(stripe_standin, 14 * DAY)

    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    assert sub["items"].data[0].current_period_start == trial_end
    invoices = stripe_client.v1.invoices.list({"subscription": sub.id}).data
    assert [(i.billing_reason, i.status, i.amount_paid) for i in invoices] == [
        ("subscription_cycle", "paid", 2500), ("subscription_create", "paid", 0)]


def test_moving_trial_end_moves_the_next_bill(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin)
    next_bill = sub["items"].data[0].current_period_end
    moved = next_bill + 10 * DAY

    updated = stripe_client.v1.subscriptions.update(
        sub.id, {"trial_end": moved, "proration_behavior": "none"})

    assert updated["items"].data[0].current_period_end == moved
    assert updated.billing_cycle_anchor == moved
    event = stripe_standin.events("customer.subscription.updated")[-1]
    previous = event["data"]["previous_attributes"]
    assert previous["trial_end"] is None and previous["status"] == "active"
    # the old date passes without a bill; the new one bills once
    advance(stripe_standin, next_bill - stripe_standin.clock.now() + 60)
    assert len(stripe_client.v1.invoices.list({"subscription": sub.id}).data) == 1
    advance(stripe_standin, moved - stripe_standin.clock.now() + 60)
    invoices = stripe_client.v1.invoices.list({"subscription": sub.id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_cycle", "subscription_create"]
    assert invoices[0].lines.data[0].period.start == moved  # the period it bills
    assert invoices[0].period_end == moved  # Stripe's invoice period: the one just ended


def test_each_period_crossed_is_billed_once_in_order(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin, line_items=[monthly_item(1000, 2)])

    answer = advance(stripe_standin, 95 * DAY)  # three month ends

    assert answer["billed"] == 3
    invoices = stripe_client.v1.invoices.list({"subscription": sub.id}).data[::-1]
    assert [(i.billing_reason, i.amount_paid) for i in invoices] == [
        ("subscription_create", 2000)] + [("subscription_cycle", 2000)] * 3
    starts = [i.lines.data[0].period.start for i in invoices[1:]]
    assert starts == sorted(starts) and len(set(starts)) == 3
    assert advance(stripe_standin, 60)["billed"] == 0
    assert len(stripe_standin.events("invoice.paid")) == 4


def test_a_declined_renewal_fails_then_is_paid_after_the_card_update(stripe_client,
                                                                      stripe_standin):
    session, sub = subscribe(stripe_client, stripe_standin)
    assert requests.post(f"{stripe_standin.url}/_standin/customers/{session.customer}/decline",
                         json={"declines": True}, timeout=5).status_code == 200

    advance(stripe_standin, 32 * DAY)

    failed = stripe_client.v1.invoices.list({"subscription": sub.id, "status": "open"}).data[0]
    assert failed.attempt_count == 1 and failed.next_payment_attempt is not None
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert "invoice.payment_failed" in types(stripe_standin)
    portal = stripe_client.v1.billing_portal.sessions.create(
        {"customer": session.customer, "return_url": "http://shop.test/account"})
    assert requests.get(portal.url, timeout=5).status_code == 200

    answer = requests.post(portal.url, data={"action": "update-card"}, allow_redirects=False,
                           timeout=5)

    assert answer.headers["Location"] == "http://shop.test/account"
    paid = stripe_client.v1.invoices.retrieve(failed.id)
    assert (paid.status, paid.attempt_count, paid.next_payment_attempt) == ("paid", 2, None)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert types(stripe_standin)[-1] == "customer.subscription.updated"
    assert "invoice.paid" in types(stripe_standin)[-5:]


def test_renewals_that_keep_failing_cancel_the_subscription(stripe_client, stripe_standin):
    session, sub = subscribe(stripe_client, stripe_standin)
    stripe_standin.decline_card(session.customer, "insufficient_funds")

    advance(stripe_standin, 31 * DAY)
    for days in (3, 5, 7):
        advance(stripe_standin, days * DAY)

    sub = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled"
    assert sub.cancellation_details.reason == "payment_failed"
    assert len(stripe_standin.events("invoice.payment_failed")) == 4
    assert len(stripe_standin.events("customer.subscription.deleted")) == 1


def test_pause_voids_renewals_and_resume_bills_again(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin)

    paused = stripe_client.v1.subscriptions.update(
        sub.id, {"pause_collection": {"behavior": "void"}})
    assert paused.pause_collection.behavior == "void"
    advance(stripe_standin, 32 * DAY)
    voided = stripe_client.v1.invoices.list({"subscription": sub.id}).data[0]
    assert voided.status == "void"

    resumed = stripe_client.v1.subscriptions.update(sub.id, {"pause_collection": ""})
    assert resumed.pause_collection is None
    event = stripe_standin.events("customer.subscription.updated")[-1]
    assert event["data"]["previous_attributes"]["pause_collection"]["behavior"] == "void"
    advance(stripe_standin, 31 * DAY)
    assert stripe_client.v1.invoices.list({"subscription": sub.id}).data[0].status == "paid"


def test_pause_until_resumes_at(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin)
    resumes = stripe_standin.clock.now() + 40 * DAY
    stripe_client.v1.subscriptions.update(
        sub.id, {"pause_collection": {"behavior": "keep_as_draft", "resumes_at": resumes}})

    advance(stripe_standin, 45 * DAY)

    assert stripe_client.v1.subscriptions.retrieve(sub.id).pause_collection is None
    assert stripe_client.v1.invoices.list({"subscription": sub.id}).data[0].status == "draft"


def test_cancel_now_and_at_period_end(stripe_client, stripe_standin):
    _, now_sub = subscribe(stripe_client, stripe_standin)
    _, later_sub = subscribe(stripe_client, stripe_standin)

    canceled = stripe_client.v1.subscriptions.cancel(now_sub.id)
    later = stripe_client.v1.subscriptions.update(later_sub.id, {"cancel_at_period_end": True})

    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert later.cancel_at == later["items"].data[0].current_period_end
    assert len(stripe_standin.events("customer.subscription.deleted")) == 1
    advance(stripe_standin, 32 * DAY)
    assert stripe_client.v1.subscriptions.retrieve(later_sub.id).status == "canceled"
    assert len(stripe_client.v1.invoices.list({"subscription": later_sub.id}).data) == 1
    assert stripe_client.v1.subscriptions.list({"status": "active"}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.subscriptions.update(now_sub.id, {"trial_end": "now"})


def test_a_quantity_change_is_billed_on_the_next_invoice(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin)
    item = sub["items"].data[0]

    updated = stripe_client.v1.subscriptions.update(sub.id, {
        "items": [{"id": item.id, "quantity": 3}], "proration_behavior": "none"})

    assert updated["items"].data[0].quantity == 3
    previous = stripe_standin.events("customer.subscription.updated")[-1]["data"][
        "previous_attributes"]
    assert previous["items"]["data"][0]["quantity"] == 1
    advance(stripe_standin, 32 * DAY)
    renewal = stripe_client.v1.invoices.list({"subscription": sub.id}).data[0]
    assert (renewal.amount_paid, renewal.lines.data[0].quantity) == (7500, 3)


def test_prices_products_and_customers_made_beforehand(stripe_client, stripe_standin):
    product = stripe_client.v1.products.create({"name": "Vitamin D3 subscription"})
    price = stripe_client.v1.prices.create({
        "product": product.id, "currency": "eur", "unit_amount": 1500,
        "recurring": {"interval": "week", "interval_count": 4}})
    customer = stripe_client.v1.customers.create({
        "email": "grace@example.com", "name": "Grace Hopper", "metadata": {"shop_id": "7"}})
    updated = stripe_client.v1.customers.update(customer.id, {"phone": "+15555550100"})

    session, sub = subscribe(stripe_client, stripe_standin, customer=customer.id,
                             customer_email=None,
                             line_items=[{"price": price.id, "quantity": 2}])

    assert (price.type, price.recurring.interval_count) == ("recurring", 4)
    assert updated.phone == "+15555550100"
    assert stripe_client.v1.customers.list({"email": "grace@example.com"}).data[0].id == \
        customer.id
    assert session.customer == customer.id and sub.customer == customer.id
    period = sub["items"].data[0]
    assert period.current_period_end - period.current_period_start == 28 * DAY
    event = stripe_standin.events("customer.updated")[0]
    assert event["data"]["previous_attributes"] == {"phone": None}
    with pytest.raises(stripe.InvalidRequestError, match="recurring price"):
        stripe_client.v1.checkout.sessions.create({
            "mode": "payment", "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://shop.test/"})


def test_billing_objects_carry_stripes_field_sets(stripe_client, stripe_standin):
    from tests.stripe_standin import stripe_fields

    session, sub = subscribe(stripe_client, stripe_standin)
    invoice = stripe_client.v1.invoices.retrieve(session.invoice)
    customer = stripe_client.v1.customers.retrieve(session.customer)
    payment = stripe_client.v1.invoice_payments.list({"invoice": invoice.id}).data[0]
    portal = stripe_client.v1.billing_portal.sessions.create({"customer": customer.id})

    assert set(sub.to_dict()) == stripe_fields.SUBSCRIPTION
    assert set(sub["items"].data[0].to_dict()) == stripe_fields.SUBSCRIPTION_ITEM
    assert set(sub["items"].data[0].price.to_dict()) == stripe_fields.PRICE
    assert set(invoice.to_dict()) == stripe_fields.INVOICE
    assert set(customer.to_dict()) == stripe_fields.CUSTOMER
    assert set(payment.to_dict()) == stripe_fields.INVOICE_PAYMENT
    assert set(portal.to_dict()) == stripe_fields.BILLING_PORTAL_SESSION


def test_renewal_events_reach_the_webhook_through_the_dispatcher(stripe_client, stripe_standin):
    received = []
    stripe_standin.deliver_to(lambda body, headers: received.append(body) or (200, ""))
    subscribe(stripe_client, stripe_standin)
    stripe_standin.wait_for_deliveries(12)
    stripe_standin.configure_webhooks(order="reverse")

    advance(stripe_standin, 32 * DAY)

    deliveries = stripe_standin.wait_for_deliveries(12 + 9)
    renewal = [d["type"] for d in deliveries[12:]]
    assert sorted(renewal) == sorted([
        "customer.subscription.updated", "invoice.created", "invoice.finalized",
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "invoice_payment.paid", "invoice.paid", "invoice.payment_succeeded"])
    assert renewal[0] == "invoice.payment_succeeded"  # the batch, reversed


def test_ending_a_trial_now_bills_at_once(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin, subscription_data={"trial_period_days": 7})

    ended = stripe_client.v1.subscriptions.update(sub.id, {"trial_end": "now"})

    assert ended.status == "active"
    latest = stripe_client.v1.invoices.retrieve(ended.latest_invoice)
    assert (latest.billing_reason, latest.status, latest.amount_paid) == (
        "subscription_update", "paid", 2500)
    assert ended["items"].data[0].current_period_start == ended.trial_end


def test_a_quantity_change_with_prorations_credits_and_charges_the_rest_of_the_period(
        stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin)
    item = sub["items"].data[0]
    half = (item.current_period_end - item.current_period_start) // 2
    advance(stripe_standin, half)

    stripe_client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 2}]})
    advance(stripe_standin, item.current_period_end - stripe_standin.clock.now() + 60)

    renewal = stripe_client.v1.invoices.list({"subscription": sub.id}).data[0]
    amounts = sorted(line.amount for line in renewal.lines.data)
    assert amounts[0] == pytest.approx(-1250, abs=30)  # unused half of one
    assert amounts[1] == pytest.approx(2500, abs=60)  # the rest of the period for two
    assert amounts[2] == 5000  # the next period for two
    assert renewal.amount_paid == sum(amounts)


def every_days(days, product, unit_amount=2125):
    return {"currency": "eur", "product": product, "unit_amount": unit_amount,
            "tax_behavior": "exclusive", "recurring": {"interval": "day", "interval_count": days}}


def test_a_new_price_data_and_quantity_with_trial_end_keeps_the_next_bill_then_bills_the_new_terms(
        stripe_client, stripe_standin):
    trial_end = stripe_standin.clock.now() + 10 * DAY
    _, sub = subscribe(stripe_client, stripe_standin,
                       line_items=[{"price_data": {"currency": "eur", "unit_amount": 2125,
                                                   "recurring": {"interval": "day", "interval_count": 30},
                                                   "product_data": {"name": "Mag R&R"}}, "quantity": 1}],
                       subscription_data={"trial_end": trial_end})
    item = sub["items"].data[0]
    since = len(stripe_standin.events())

    updated = stripe_client.v1.subscriptions.update(sub.id, {
        "items": [{"id": item.id, "quantity": 2, "price_data": every_days(60, item.price.product)}],
        "proration_behavior": "none", "trial_end": trial_end})

    changed = updated["items"].data[0]
    assert (changed.id, changed.quantity) == (item.id, 2)
    assert (changed.price.recurring.interval, changed.price.recurring.interval_count) == ("day", 60)
    assert changed.price.id != item.price.id and changed.price.unit_amount == 2125
    assert changed.current_period_end == trial_end and updated.status == "trialing"
    assert types(stripe_standin, since) == ["customer.subscription.updated"]  # nothing billed
    event = stripe_standin.events("customer.subscription.updated")[-1]["data"]
    assert event["object"]["items"]["data"][0]["quantity"] == 2
    assert event["previous_attributes"]["items"]["data"][0]["price"]["recurring"]["interval_count"] == 30

    advance(stripe_standin, 10 * DAY + 60)
    renewal = stripe_client.v1.invoices.list({"subscription": sub.id}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.amount_paid, renewal.lines.data[0].quantity) == (4250, 2)
    after = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert after["items"].data[0].current_period_end == trial_end + 60 * DAY


def test_a_new_interval_without_a_trial_starts_a_new_period_billed_at_once(stripe_client, stripe_standin):
    _, sub = subscribe(stripe_client, stripe_standin)  # monthly, active
    item = sub["items"].data[0]
    now = stripe_standin.clock.now()

    updated = stripe_client.v1.subscriptions.update(sub.id, {
        "items": [{"id": item.id, "price_data": every_days(60, item.price.product, 2500)}],
        "proration_behavior": "none"})

    assert updated["items"].data[0].current_period_start >= now
    assert updated["items"].data[0].current_period_end == updated["items"].data[0].current_period_start + 60 * DAY
    latest = stripe_client.v1.invoices.retrieve(updated.latest_invoice)
    assert (latest.billing_reason, latest.amount_paid) == ("subscription_update", 2500)


PRODUCT = "the subscription's product"


@pytest.mark.parametrize("change, param", [
    ({"price_data": {"currency": "eur", "unit_amount": 100, "recurring": {"interval": "day"},
                     "product_data": {"name": "x"}}}, "items[0][price_data][product_data]"),
    ({"price_data": {"currency": "eur", "unit_amount": 100, "product": "prod_missing",
                     "recurring": {"interval": "day"}}}, "items[0][price_data][product]"),
    ({"price_data": {"currency": "eur", "unit_amount": 100, "product": PRODUCT}},
     "items[0][price_data][recurring]"),
    ({"price_data": {"currency": "eur", "unit_amount": 100, "product": PRODUCT,
                     "recurring": {"interval": "day", "interval_count": 400}}},
     "items[0][price_data][recurring][interval_count]"),
    ({"price": "price_x", "price_data": {"currency": "eur"}}, "items[0][price]"),
    ({"colour": "red"}, "items[0][colour]"),
])
def test_item_changes_stripe_would_refuse_change_nothing(stripe_client, stripe_standin, change, param):
    _, sub = subscribe(stripe_client, stripe_standin)
    item = sub["items"].data[0]
    if change.get("price_data", {}).get("product") == PRODUCT:
        change = dict(change, price_data=dict(change["price_data"], product=item.price.product))
    since = len(stripe_standin.events())

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.subscriptions.update(sub.id, {
            "items": [dict(change, id=item.id)], "proration_behavior": "none",
            "trial_end": stripe_standin.clock.now() + 5 * DAY})  # refused with the rest

    assert refused.value.param == param
    assert stripe_standin.events()[since:] == []
    same = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert (same.status, same.trial_end) == ("active", None)
    assert (same["items"].data[0].price.id, same["items"].data[0].quantity) == (item.price.id, item.quantity)
    assert same["items"].data[0].current_period_end == item.current_period_end
