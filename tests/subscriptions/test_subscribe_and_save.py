"""Subscribe & save end to end: checkout in subscription mode, delivery times the renewal,
Stripe's renewals become paid orders exactly once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.db import as_utc
from shop.extensions import db
from shop.followups import plan
from shop.followups.models import FollowUp
from shop.orders.models import DELIVERED, PAID, Order
from shop.subscriptions.models import Subscription

DAY = 24 * 60 * 60


@pytest.fixture
def api(stripe_app):
    return stripe_app.test_client()


@pytest.fixture
def mag(make_product):
    return make_product(slug="mag-rr", name="Mag R&R", stock=20, price=4900, subscription_discount_percent=15)


def subscribe(api, items, email="ada@example.com"):
    return api.post("/api/v1/checkout", json={"email": email, "items": items})


def order_json(api, body):
    answer = api.get(f"/api/v1/orders/{body['order_id']}", headers={"X-Order-Token": body["order_token"]})
    assert answer.status_code == 200
    return answer.json


def settle(stripe_standin):
    stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()))
    db.session.expire_all()


def deliver(api, order_id, headers):
    assert api.post(f"/api/v1/admin/orders/{order_id}/ship", headers=headers,
                    json={"carrier": "UPS", "tracking_number": "1Z999AA1"}).status_code == 200
    assert api.post(f"/api/v1/admin/orders/{order_id}/deliver", headers=headers, json={}).status_code == 200


def test_a_subscribe_line_opens_a_subscription_mode_session_at_the_discounted_price(api, mag, stripe_standin):
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])

    assert answer.status_code == 201, answer.json
    assert answer.json["total"] == 4165  # 49.00 less 15 %
    session = stripe_standin.session(answer.json["stripe_checkout_session_id"])
    assert session["mode"] == "subscription"
    assert session["metadata"]["order_id"] == str(answer.json["order_id"])
    assert session["shipping_options"] == [] or not session.get("shipping_options")
    body = order_json(api, answer.json)
    assert body["subscription"]["status"] == "incomplete"
    assert body["subscription"]["interval_days"] == 30
    assert body["subscription"]["renewal_order_ids"] == []


def test_subscribe_is_refused_for_a_product_that_cannot_be_subscribed_to_and_twice(api, mag, make_product,
                                                                                  stripe_standin):
    make_product(slug="plain", stock=5, subscription_discount_percent=None)
    make_product(slug="other", stock=5, subscription_discount_percent=10)

    refused = subscribe(api, [{"slug": "plain", "quantity": 1, "subscribe": True}])
    twice = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True},
                            {"slug": "other", "quantity": 1, "subscribe": True}])

    assert refused.status_code == 422
    assert refused.json["errors"] == {"items.0.subscribe": ["This product cannot be subscribed to"]}
    assert twice.status_code == 422
    assert twice.json["errors"] == {"items.1.subscribe": ["One subscription per checkout"]}
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert stripe_standin.events() == []



def test_more_bottles_than_renew_within_a_year_are_refused_before_stripe_is_asked(api, mag, stripe_standin):
    # given Mag R&R, whose 13 bottles would last 390 days at full dose (Stripe bills at least yearly)
    mag.stock = 50
    db.session.commit()
    # when a checkout subscribes to 13 of them, then to 12
    refused = subscribe(api, [{"slug": "mag-rr", "quantity": 13, "subscribe": True}])
    taken = subscribe(api, [{"slug": "mag-rr", "quantity": 12, "subscribe": True}])
    # then 13 is refused naming the line and nothing is recorded for it; 12 opens its checkout
    assert refused.status_code == 422
    assert refused.json["errors"] == {"items.0.quantity": ["At most 12 bottles of Mag R&R per delivery on subscription"]}
    assert taken.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1

def test_one_time_lines_ride_along_on_the_first_invoice(api, mag, make_product, stripe_standin):
    make_product(slug="plain", stock=5, price=1900, subscription_discount_percent=None)
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True},
                             {"slug": "plain", "quantity": 2}])
    assert answer.status_code == 201

    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)

    body = order_json(api, answer.json)
    assert body["status"] == PAID
    assert body["amounts"]["subtotal"] == 4165 + 2 * 1900 == body["total"]
    assert body["amounts"]["shipping"] == 0
    sub = db.session.get(Subscription, body["subscription"]["id"])
    assert (sub.product_id, sub.quantity, sub.unit_price) == (mag.id, 1, 4165)


def test_bought_delivered_and_renewed_twice_with_duplicated_and_reordered_events(
        api, mag, stripe_standin, stripe_client, staff_headers):
    stripe_standin.configure_webhooks(order="reverse")
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)

    first = order_json(api, answer.json)
    assert first["status"] == PAID and first["total"] == 4165
    sub = db.session.get(Subscription, first["subscription"]["id"])
    assert sub.stripe_subscription_id.startswith("sub_") and sub.status == "trialing"
    assert sub.shipping_line1 == db.session.get(Order, first["id"]).shipping_line1  # renewals ship there

    # delivery: the first renewal moves to day 30 after delivery (runs out on day 37, buffer 7)
    headers = staff_headers("fulfilment")
    deliver(api, first["id"], headers)
    settle(stripe_standin)
    order = db.session.get(Order, first["id"])
    assert order.status == DELIVERED
    delivered_on = plan.local_date(as_utc(order.delivered_at), api.application.config["SHOP_TIMEZONE"])
    sub = db.session.get(Subscription, sub.id)
    assert sub.next_renewal_on == delivered_on + timedelta(days=30)
    remote = stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote.trial_end == int(as_utc(sub.next_billing_at).timestamp())
    assert first_json_renewal(api, answer.json) == (delivered_on + timedelta(days=30)).isoformat()
    # a subscribed order gets no reorder reminder
    assert "reorder" not in set(db.session.scalars(select(FollowUp.kind).where(FollowUp.order_id == order.id)))

    # two renewals: Stripe bills at the trial's end, then 30 days later
    stripe_standin.advance_clock(remote.trial_end - stripe_standin.clock.now() + 60)
    settle(stripe_standin)
    stripe_standin.advance_clock(30 * DAY)
    settle(stripe_standin)
    # every renewal event delivered again, newest first
    for event in reversed(stripe_standin.events("invoice.paid")):
        stripe_standin.redeliver(event["id"])
    for event in stripe_standin.events("customer.subscription.updated"):
        stripe_standin.redeliver(event["id"])
    settle(stripe_standin)

    body = order_json(api, answer.json)
    renewals = body["subscription"]["renewal_order_ids"]
    assert len(renewals) == 2
    invoices = {o.stripe_invoice_id for o in db.session.scalars(select(Order).where(Order.id.in_(renewals)))}
    cycle = [e["data"]["object"]["id"] for e in stripe_standin.events("invoice.paid")
             if e["data"]["object"]["billing_reason"] == "subscription_cycle"]
    assert invoices == set(cycle) and len(cycle) == 2
    for renewal in db.session.scalars(select(Order).where(Order.id.in_(renewals))):
        assert renewal.status == PAID
        assert renewal.total == renewal.amount_subtotal == 4165
        assert renewal.shipping_address == order.shipping_address
        assert [(i.slug, i.quantity, i.unit_price) for i in renewal.items] == [("mag-rr", 1, 4165)]
        assert renewal.stripe_payment_intent_id  # refunds of a renewal reach its payment
    assert body["subscription"]["status"] == "active"
    assert body["subscription"]["interval_days"] == 30

    # a renewal delivered: check-ins only, no titration again, no reorder reminder
    deliver(api, renewals[0], headers)
    kinds = set(db.session.scalars(select(FollowUp.kind).where(FollowUp.order_id == renewals[0])))
    assert kinds == {"checkin"}


def first_json_renewal(api, body):
    return order_json(api, body)["subscription"]["next_renewal_on"]


def test_stay_at_this_dose_moves_the_next_renewal_a_week_on_and_i_started_today_reanchors_it(
        api, mag, stripe_standin, stripe_client, staff_headers):
    from shop.followups import links

    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    deliver(api, answer.json["order_id"], staff_headers("fulfilment"))
    settle(stripe_standin)
    sub = db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))
    planned = sub.next_renewal_on
    day7 = db.session.scalar(select(FollowUp).where(FollowUp.order_id == answer.json["order_id"],
                                                    FollowUp.step_day == 7))

    # "stay at 2 capsules one more week": a week more at 2 a night, so the bottle lasts 2 days more
    assert api.post(f"/followups/hold/{links.make_token(day7.id, links.HOLD)}").status_code == 200
    settle(stripe_standin)
    sub = db.session.get(Subscription, sub.id)
    assert sub.next_renewal_on == planned + timedelta(days=2)  # runs out on day 39, not 37
    remote = stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote.trial_end == int(as_utc(sub.next_billing_at).timestamp())
    assert plan.local_date(as_utc(sub.next_billing_at), api.application.config["SHOP_TIMEZONE"]) == sub.next_renewal_on
    assert order_json(api, answer.json)["subscription"]["next_renewal_on"] == sub.next_renewal_on.isoformat()

    # "I started today" (today = the delivery day here): the plan re-anchors, the hold still counts
    day0 = db.session.scalar(select(FollowUp).where(FollowUp.order_id == answer.json["order_id"],
                                                    FollowUp.step_day == 0))
    assert api.post(f"/followups/started/{links.make_token(day0.id, links.STARTED)}").status_code == 200
    sub = db.session.get(Subscription, sub.id)
    assert sub.next_renewal_on == planned + timedelta(days=2)


def test_a_declined_renewal_emails_a_card_update_link_to_stripe_s_portal_then_renews_once(
        api, mag, stripe_standin, stripe_client, staff_headers):
    import requests

    from shop.emails.models import EmailMessage

    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    deliver(api, answer.json["order_id"], staff_headers("fulfilment"))
    sub = db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))
    stripe_standin.decline_card(sub.stripe_customer_id, "card_declined")

    stripe_standin.advance_clock(int(as_utc(sub.next_billing_at).timestamp()) - stripe_standin.clock.now() + 60)
    settle(stripe_standin)

    [mail] = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "subscription_payment_failed"))
    assert mail.to == "ada@example.com"
    assert order_json(api, answer.json)["subscription"]["status"] == "past_due"
    assert order_json(api, answer.json)["subscription"]["renewal_order_ids"] == []
    link = next(word for word in mail.body_text.split() if "/subscriptions/card/" in word)
    portal = api.get(link.replace(api.application.config["PUBLIC_URL"], ""))
    assert portal.status_code == 303
    assert api.get("/subscriptions/card/forged").status_code == 400

    # the customer updates the card at Stripe: the open invoice is paid, one renewal order
    assert requests.post(portal.headers["Location"], data={"action": "update-card"}, allow_redirects=False,
                         timeout=5).status_code in (302, 303)
    settle(stripe_standin)
    body = order_json(api, answer.json)
    assert body["subscription"]["status"] == "active"
    assert len(body["subscription"]["renewal_order_ids"]) == 1


def test_the_subscriber_delays_skips_and_cancels_from_signed_links(api, mag, stripe_standin, stripe_client,
                                                                   staff_headers):
    from shop.orders.access import order_page_url
    from shop.subscriptions import links

    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    deliver(api, answer.json["order_id"], staff_headers("fulfilment"))
    sub = db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))
    planned = sub.next_renewal_on
    public = api.application.config["PUBLIC_URL"]
    with api.application.test_request_context():
        page_url = order_page_url(db.session.get(Order, answer.json["order_id"]), external=False)
    page = api.get(page_url).get_data(as_text=True)
    assert planned.isoformat() in page and "Delay a week" in page
    delay = next(part.split('"')[1] for part in page.split("href=")[1:] if "/subscriptions/delay/" in part)
    delay = delay.replace(public, "").replace("&amp;", "&")

    # a GET (a mail scanner) changes nothing; the POST delays a week, once
    assert api.get(delay).status_code == 200
    assert db.session.get(Subscription, sub.id).next_renewal_on == planned
    assert api.post(delay).status_code == 200
    assert api.post(delay).status_code == 200
    db.session.expire_all()
    sub = db.session.get(Subscription, sub.id)
    assert sub.next_renewal_on == planned + timedelta(days=7)
    assert stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id).trial_end == int(
        as_utc(sub.next_billing_at).timestamp())

    skip = f"/subscriptions/skip/{links.make_token(sub.id, links.SKIP, sub.next_renewal_on.isoformat())}"
    assert api.post(skip).status_code == 200
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).next_renewal_on == planned + timedelta(days=7 + 30)

    cancel = f"/subscriptions/cancel/{links.make_token(sub.id, links.CANCEL)}"
    assert api.post(cancel).status_code == 200
    settle(stripe_standin)
    assert stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id).status == "canceled"
    body = order_json(api, answer.json)
    assert body["subscription"]["status"] == "canceled" and body["subscription"]["next_renewal_on"] is None
    assert api.post(f"/subscriptions/skip/{links.make_token(sub.id, links.CANCEL)}").status_code == 400


def test_a_subscription_checkout_that_expires_unpaid_never_starts(api, mag, stripe_standin):
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])

    stripe_standin.expire(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)

    body = order_json(api, answer.json)
    assert body["status"] == "cancelled"
    assert body["subscription"]["status"] == "incomplete_expired"
    assert body["subscription"]["next_renewal_on"] is None


def test_a_paused_subscription_bills_and_ships_nothing_until_resumed(api, mag, stripe_standin, stripe_client,
                                                                      staff_headers):
    from shop.subscriptions import links

    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    deliver(api, answer.json["order_id"], staff_headers("fulfilment"))
    sub = db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))

    assert api.post(f"/subscriptions/pause/{links.make_token(sub.id, links.PAUSE)}").status_code == 200
    settle(stripe_standin)
    assert order_json(api, answer.json)["subscription"]["status"] == "paused"
    stripe_standin.advance_clock(int(as_utc(sub.next_billing_at).timestamp()) - stripe_standin.clock.now() + 60)
    settle(stripe_standin)
    body = order_json(api, answer.json)
    assert body["subscription"]["status"] == "paused" and body["subscription"]["renewal_order_ids"] == []

    assert api.post(f"/subscriptions/resume/{links.make_token(sub.id, links.RESUME)}").status_code == 200
    settle(stripe_standin)
    assert order_json(api, answer.json)["subscription"]["status"] == "active"
    stripe_standin.advance_clock(31 * DAY)
    settle(stripe_standin)
    assert len(order_json(api, answer.json)["subscription"]["renewal_order_ids"]) == 1
