"""Staff see a renewal Stripe could not collect: the attempt, and when Stripe retries."""
import re
from datetime import timedelta

from sqlalchemy import select

from shop.db import as_utc
from shop.extensions import db
from shop.followups import plan
from shop.subscriptions.models import Subscription
from tests.subscriptions.test_change_quantity import delivered_subscription
from tests.subscriptions.test_staff_cancel_and_guarantee import staff_web
from tests.subscriptions.test_subscribe_and_save import DAY, api, mag, order_json, settle  # noqa: F401


def failure_note(client, sub_id):
    listed = client.get("/admin/subscriptions").get_data(as_text=True)
    detail = client.get(f"/admin/subscriptions/{sub_id}").get_data(as_text=True)
    found = [re.search(r'data-testid="payment-failure">(.*?)</(?:span|dd)>', page, re.S) for page in (listed, detail)]
    return [" ".join(re.sub(r"<[^>]+>", "", m.group(1)).split()) if m else None for m in found]


def test_stripe_s_failed_attempts_and_next_retry_show_on_the_list_and_the_detail_page(
        api, mag, stripe_standin, staff_headers, make_staff):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    client = staff_web(api, make_staff)
    tz = api.application.config["SHOP_TIMEZONE"]
    assert failure_note(client, sub.id) == [None, None]

    # the renewal's card is declined: Stripe retries 3 days later
    stripe_standin.decline_card(sub.stripe_customer_id, "card_declined")
    billed_at = int(as_utc(sub.next_billing_at).timestamp())
    stripe_standin.advance_clock(billed_at - stripe_standin.clock.now() + 60)
    settle(stripe_standin)
    first_try = plan.local_date(as_utc(db.session.get(Subscription, sub.id).payment_failed_at), tz)
    retry_on = plan.local_date(as_utc(db.session.get(Subscription, sub.id).payment_next_attempt_at), tz)
    assert retry_on >= first_try + timedelta(days=2)
    listed, detail = failure_note(client, sub.id)
    assert listed == f"payment failed (attempt 1), Stripe retries on {retry_on.isoformat()}"
    assert detail.startswith("Payment failed (attempt 1,") and f"Stripe retries on {retry_on.isoformat()}" in detail

    # the retry fails too; a late copy of the first failure does not undo the second
    stripe_standin.advance_clock(3 * DAY + 60)
    settle(stripe_standin)
    [first, second] = stripe_standin.events("invoice.payment_failed")
    stripe_standin.redeliver(first["id"])
    settle(stripe_standin)
    second_retry = plan.local_date(as_utc(db.session.get(Subscription, sub.id).payment_next_attempt_at), tz)
    assert second_retry > retry_on
    assert failure_note(client, sub.id)[0] == f"payment failed (attempt 2), Stripe retries on {second_retry.isoformat()}"

    # the customer updates the card: the invoice is paid, the note goes, one renewal order
    stripe_standin.update_card(sub.stripe_customer_id)
    settle(stripe_standin)
    assert failure_note(client, sub.id) == [None, None]
    assert len(order_json(api, body)["subscription"]["renewal_order_ids"]) == 1
    # and a copy of a failure for that paid invoice, come late, records nothing
    stripe_standin.redeliver(second["id"])
    settle(stripe_standin)
    assert failure_note(client, sub.id) == [None, None]


def test_after_stripe_s_last_attempt_staff_see_no_more_retries(api, mag, stripe_standin, staff_headers, make_staff):
    body, sub = delivered_subscription(api, stripe_standin, staff_headers)
    client = staff_web(api, make_staff)
    stripe_standin.decline_card(sub.stripe_customer_id, "card_declined")

    stripe_standin.advance_clock(int(as_utc(sub.next_billing_at).timestamp()) - stripe_standin.clock.now() + 60)
    for _ in range(3):  # retries 3, 5 and 7 days after the previous attempt
        stripe_standin.advance_clock(7 * DAY + 60)
    settle(stripe_standin)

    listed, detail = failure_note(client, sub.id)
    assert listed == "payment failed (attempt 4), no more retries"
    assert "no more retries (Stripe cancelled the subscription)" in detail
    assert db.session.scalar(select(Subscription.status).where(Subscription.id == sub.id)) == "canceled"
