"""The "your next bottle ships on" notice before each renewal (once per date), and renewal moves
Stripe refused, retried until it takes them."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shop.db import as_utc
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups import plan
from shop.orders.models import Order
from shop.subscriptions.models import Subscription
from shop.subscriptions.notices import send_due_renewal_notices
from shop.subscriptions.services import retry_pending_moves
from tests.subscriptions.test_subscribe_and_save import api, deliver, mag, order_json, settle, subscribe  # noqa: F401


def delivered_subscription(api, stripe_standin, staff_headers):
    answer = subscribe(api, [{"slug": "mag-rr", "quantity": 1, "subscribe": True}])
    stripe_standin.pay(answer.json["stripe_checkout_session_id"])
    settle(stripe_standin)
    deliver(api, answer.json["order_id"], staff_headers("fulfilment"))
    settle(stripe_standin)
    return answer.json, db.session.scalar(select(Subscription).where(Subscription.order_id == answer.json["order_id"]))


def at_shop_noon(app, day):
    return plan.evening_of(day, 12, app.config["SHOP_TIMEZONE"])


def retry(api, now=None):
    """The periodic task's work, in the app that talks to the stand-in."""
    with api.application.app_context():
        counts = retry_pending_moves(now)
        db.session.commit()
    db.session.expire_all()
    return counts


def notices():
    return db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "subscription_renewal_notice")
                              .order_by(EmailMessage.id)).all()


def test_a_notice_goes_three_days_before_the_renewal_once_and_again_for_a_moved_date(
        api, mag, stripe_standin, staff_headers):
    from shop.subscriptions import links

    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    renewal_on = sub.next_renewal_on
    app = api.application

    # four days before: too early; three days before: the notice, once however often the pass runs
    assert send_due_renewal_notices(at_shop_noon(app, renewal_on - timedelta(days=4))) == 0
    assert send_due_renewal_notices(at_shop_noon(app, renewal_on - timedelta(days=3))) == 1
    assert send_due_renewal_notices(at_shop_noon(app, renewal_on - timedelta(days=2))) == 0
    db.session.commit()
    [mail] = notices()
    assert mail.to == "ada@example.com"
    assert f"ships on {renewal_on.isoformat()}" in mail.subject
    assert "$41.65" in mail.body_text and "/subscriptions/delay/" in mail.body_text
    assert "/subscriptions/cancel/" in mail.body_text

    # the customer delays a week from the notice's link: the new date gets its own notice
    delay = next(w for w in mail.body_text.split() if "/subscriptions/delay/" in w)
    assert api.post(delay.replace(app.config["PUBLIC_URL"], "")).status_code == 200
    db.session.expire_all()
    moved = db.session.get(Subscription, sub.id).next_renewal_on
    assert moved == renewal_on + timedelta(days=7)
    assert send_due_renewal_notices(at_shop_noon(app, renewal_on - timedelta(days=1))) == 0
    assert send_due_renewal_notices(at_shop_noon(app, moved - timedelta(days=3))) == 1
    assert send_due_renewal_notices(at_shop_noon(app, moved - timedelta(days=3))) == 0
    db.session.commit()
    assert [m.subject.split()[-1] for m in notices()] == [renewal_on.isoformat(), moved.isoformat()]

    # a cancelled subscription hears nothing more
    assert api.post(f"/subscriptions/cancel/{links.make_token(sub.id, links.CANCEL)}").status_code == 200
    db.session.expire_all()
    assert send_due_renewal_notices(at_shop_noon(app, moved + timedelta(days=27))) == 0


def test_the_notice_days_are_a_setting(make_app, make_order, make_product):
    from shop.orders.models import PAID

    app = make_app(RENEWAL_NOTICE_DAYS=5)
    with app.app_context():
        product = make_product(slug="mag-rr", subscription_discount_percent=15)
        order, _ = make_order(product, status=PAID)
        renewal_on = datetime(2031, 5, 10).date()
        db.session.add(Subscription(order_id=order.id, product_id=product.id, quantity=1, unit_price=4165,
                                    currency="usd", status="active", interval_days=30, next_renewal_on=renewal_on,
                                    stripe_subscription_id="sub_x"))
        db.session.commit()
        assert send_due_renewal_notices(at_shop_noon(app, renewal_on - timedelta(days=6))) == 0
        assert send_due_renewal_notices(at_shop_noon(app, renewal_on - timedelta(days=5))) == 1


def test_a_refused_move_stays_pending_shows_honestly_and_is_retried_until_stripe_takes_it(
        api, mag, stripe_standin, stripe_client, staff_headers):
    from shop.orders.access import order_page_url
    from shop.subscriptions import links

    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    planned, billing_at = sub.next_renewal_on, sub.next_billing_at
    remote_before = stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id).trial_end

    # Stripe refuses the move when the customer delays a week
    stripe_standin.fail_next(1, status=400, path=f"/v1/subscriptions/{sub.stripe_subscription_id}")
    delay = f"/subscriptions/delay/{links.make_token(sub.id, links.DELAY, planned.isoformat())}"
    page = api.post(delay)
    assert page.status_code == 200
    assert f"moving to {(planned + timedelta(days=7)).isoformat()}" in page.get_data(as_text=True)
    db.session.expire_all()
    sub = db.session.get(Subscription, sub.id)
    # the order API still says what Stripe will do; the order page says a move is pending
    assert order_json(api, body)["subscription"]["next_renewal_on"] == planned.isoformat()
    assert sub.pending_renewal_on == planned + timedelta(days=7)
    with api.application.test_request_context():
        url = order_page_url(db.session.get(Order, body["order_id"]), external=False)
    assert "waiting for our payment provider to confirm" in api.get(url).get_data(as_text=True)

    # the retry while Stripe cannot be reached: still pending; once it answers: moved, cleared
    stripe_standin.fail_next(10, status=503, path=f"/v1/subscriptions/{sub.stripe_subscription_id}")
    assert retry(api) == {"moved": 0, "pending": 1, "dropped": 0}
    db.session.commit()
    stripe_standin.faults.reset()
    assert retry(api) == {"moved": 1, "pending": 0, "dropped": 0}
    db.session.commit()
    sub = db.session.get(Subscription, sub.id)
    assert sub.next_renewal_on == planned + timedelta(days=7) and sub.pending_renewal_on is None
    remote = stripe_client.v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote.trial_end == int(as_utc(sub.next_billing_at).timestamp()) != remote_before
    assert retry(api) == {"moved": 0, "pending": 0, "dropped": 0}
    assert as_utc(billing_at) < as_utc(sub.next_billing_at)


def test_a_pending_move_whose_old_bill_date_came_is_dropped(api, mag, stripe_standin, staff_headers):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    sub.pending_renewal_on = sub.next_renewal_on + timedelta(days=7)
    sub.pending_since = datetime.now(UTC)
    db.session.commit()

    after_the_bill = as_utc(sub.next_billing_at) + timedelta(hours=1)
    assert retry(api, after_the_bill) == {"moved": 0, "pending": 0, "dropped": 1}
    assert db.session.get(Subscription, sub.id).pending_renewal_on is None
