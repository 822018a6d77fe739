"""The subscriber changes how many bottles each renewal ships, from a signed link: Stripe gets a
new recurring price (the interval follows the quantity), the next renewal stays when the bottles
on hand run out, and the renewal after it bills and ships the new quantity."""
import html as htmllib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.db import as_utc
from shop.extensions import db
from shop.orders.models import Order, OrderEvent
from shop.subscriptions import links
from shop.subscriptions.models import Subscription
from tests.subscriptions.test_subscribe_and_save import (  # noqa: F401
    DAY, api, deliver, mag, order_json, settle, subscribe)


def delivered_subscription(api, stripe_standin, staff_headers):
    """Given Mag R&R subscribed (1 bottle every 30 days), paid and delivered."""
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    deliver(api, answer.json["order_id"], staff_headers("fulfilment"))
    settle(stripe_standin)
    return answer.json, db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))


def link_on_order_page(api, body, text):
    from shop.orders.access import order_page_url

    with api.application.test_request_context():
        url = order_page_url(db.session.get(Order, body["order_id"]), external=False)
    page = api.get(url).get_data(as_text=True)
    href = re.search(r'<a href="([^"]+)">' + re.escape(text) + "</a>", page).group(1)
    return htmllib.unescape(href).replace(api.application.config["PUBLIC_URL"], "")


def remote_item(stripe_client, sub):
    return stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id)["items"].data[0]


def test_one_to_two_bottles_from_the_order_page_link_renews_two_bottles_every_60_days(
        api, mag, stripe_standin, stripe_client, staff_headers):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    next_renewal, next_bill = sub.next_renewal_on, sub.next_billing_at
    link = link_on_order_page(api, body, "Change quantity")

    # a GET (a mail scanner) only shows the form
    form = api.get(link)
    assert form.status_code == 200 and 'name="quantity"' in form.get_data(as_text=True)
    assert remote_item(stripe_client, sub).quantity == 1

    done = api.post(link, data={"quantity": "2"})
    settle(stripe_standin)

    assert done.status_code == 200
    assert "2 bottles each renewal, every 60 days" in done.get_data(as_text=True)
    item = remote_item(stripe_client, sub)
    assert item.quantity == 2 and item.price.unit_amount == 4165
    assert (item.price.recurring.interval, item.price.recurring.interval_count) == ("day", 60)
    remote = stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote.trial_end == int(as_utc(next_bill).timestamp())  # the bottle on hand runs out as before
    assert "customer.subscription.updated" in [e["type"] for e in stripe_standin.events()[-3:]]
    sub = db.session.get(Subscription, sub.id)
    assert (sub.quantity, sub.interval_days, sub.next_renewal_on) == (2, 60, next_renewal)
    assert order_json(api, body)["subscription"]["interval_days"] == 60
    assert db.session.scalar(select(OrderEvent.message).where(
        OrderEvent.order_id == body["order_id"], OrderEvent.kind == "subscription")).startswith(
        f"Subscription {sub.id}: 1 → 2 bottles")

    # the renewal: one paid order for 2 bottles at the subscriber's price; then 60 days on
    stripe_standin.advance_clock(remote.trial_end - stripe_standin.clock.now() + 60)
    settle(stripe_standin)
    [renewal_id] = order_json(api, body)["subscription"]["renewal_order_ids"]
    renewal = db.session.get(Order, renewal_id)
    assert [(i.slug, i.quantity, i.unit_price) for i in renewal.items] == [("mag-rr", 2, 4165)]
    assert renewal.total == renewal.amount_subtotal == 8330
    assert not renewal.needs_attention
    sub = db.session.get(Subscription, sub.id)
    assert sub.next_billing_at is not None
    assert (as_utc(sub.next_billing_at) - as_utc(next_bill)).days == 60


def test_the_quantity_follows_stripe_when_it_changes_there(api, mag, stripe_standin, stripe_client,
                                                           staff_headers):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    item = remote_item(stripe_client, sub)

    # staff change it in Stripe's dashboard: the shop learns it from customer.subscription.updated
    stripe_client.v1.subscriptions.update(sub.stripe_subscription_id, {
        "items": [{"id": item.id, "quantity": 3, "price_data": {
            "currency": sub.currency, "product": item.price.product, "unit_amount": 4165,
            "recurring": {"interval": "day", "interval_count": 90}}}],
        "proration_behavior": "none", "trial_end": stripe_client.v1.subscriptions.retrieve(
            sub.stripe_subscription_id).trial_end})
    settle(stripe_standin)

    sub = db.session.get(Subscription, sub.id)
    assert (sub.quantity, sub.interval_days) == (3, 90)
    assert order_json(api, body)["subscription"]["interval_days"] == 90


@pytest.mark.parametrize("given, message", [
    ("0", "Choose from 1 to 12 bottles"),
    ("13", "Choose from 1 to 12 bottles"),  # 13 bottles would renew every 390 days: Stripe bills yearly at most
    ("100", "Choose from 1 to 12 bottles"),
    ("-1", "whole number"),
    ("2.5", "whole number"),
    ("two", "whole number"),
    ("", "whole number"),
    (None, "whole number"),
])
def test_bad_quantities_are_refused_with_a_clear_page_and_nothing_changes(
        api, mag, stripe_standin, stripe_client, staff_headers, given, message):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    since = len(stripe_standin.events())
    link = f"/subscriptions/quantity/{links.make_token(sub.id, links.QUANTITY)}"

    answer = api.post(link, data={} if given is None else {"quantity": given})

    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert message in page and 'name="quantity"' in page
    assert stripe_standin.events()[since:] == []
    assert remote_item(stripe_client, sub).quantity == 1
    db.session.expire_all()
    assert (db.session.get(Subscription, sub.id).quantity, db.session.get(Subscription, sub.id).interval_days) == (1, 30)


def test_a_forged_or_foreign_link_and_the_same_quantity_change_nothing(api, mag, stripe_standin, stripe_client,
                                                                      staff_headers):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    since = len(stripe_standin.events())

    forged = api.post("/subscriptions/quantity/forged", data={"quantity": "2"})
    foreign = api.post(f"/subscriptions/quantity/{links.make_token(sub.id, links.SKIP, 'x')}", data={"quantity": "2"})
    same = api.post(f"/subscriptions/quantity/{links.make_token(sub.id, links.QUANTITY)}", data={"quantity": "1"})

    assert forged.status_code == 400 and foreign.status_code == 400
    assert same.status_code == 200 and "Nothing changed" in same.get_data(as_text=True)
    assert stripe_standin.events()[since:] == []


def test_when_stripe_refuses_or_is_away_nothing_changes(api, mag, stripe_standin, stripe_client, staff_headers):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    link = f"/subscriptions/quantity/{links.make_token(sub.id, links.QUANTITY)}"

    # Stripe away: 503, try again later
    stripe_standin.fail_next(3, status=500, path="/v1/subscriptions")
    away = api.post(link, data={"quantity": "2"})
    assert away.status_code == 503 and "try again" in away.get_data(as_text=True)

    # Stripe refuses (the subscription was cancelled there, its event not in yet)
    stripe_standin.pause_webhooks()
    stripe_client.v1.subscriptions.cancel(sub.stripe_subscription_id)
    refused = api.post(link, data={"quantity": "2"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).quantity == 1
    assert remote_item(stripe_client, sub).quantity == 1
    stripe_standin.resume_webhooks(drop_pending=True)


def test_the_link_is_on_the_account_page_and_in_the_renewal_notice(api, mag, stripe_standin, staff_headers):
    from shop.emails.models import EmailMessage
    from shop.subscriptions.notices import send_due_renewal_notices
    from tests.subscriptions.test_renewal_notice_and_pending_moves import at_shop_noon

    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    with api.application.app_context():
        from shop.subscriptions.services import subscriptions_for_email

        [entry] = subscriptions_for_email("ada@example.com")
        assert "/subscriptions/quantity/" in entry["links"]["quantity"]

    send_due_renewal_notices(at_shop_noon(api.application, sub.next_renewal_on - timedelta(days=3)))
    db.session.commit()
    [mail] = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "subscription_renewal_notice"))
    assert "/subscriptions/quantity/" in mail.body_text and "Change how many bottles" in mail.body_html
