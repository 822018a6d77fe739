"""The account page lists the customer's subscriptions with their signed manage links."""
import re
from datetime import date

from shop.extensions import db
from shop.orders.models import PAID
from shop.subscriptions.models import ACTIVE, CANCELED, INCOMPLETE, PAUSED, Subscription

JANE = "jane@example.com"


def _subscribe(order, product, status, next_renewal_on=date(2027, 3, 4)):
    sub = Subscription(order_id=order.id, product_id=product.id, quantity=2, unit_price=4165, currency="usd",
                       status=status, interval_days=60, next_renewal_on=next_renewal_on,
                       stripe_subscription_id=f"sub_{order.id}")
    db.session.add(sub)
    db.session.commit()
    return sub


def _card(page: str, sub: Subscription) -> str:
    found = re.search(rf'<article[^>]*id="subscription-{sub.id}".*?</article>', page, re.S)
    return found.group(0) if found else ""


def test_the_page_lists_her_subscriptions_with_status_renewal_and_links(client, sign_in, make_product, make_order):
    # Given Jane's active and paused subscriptions, one she never paid for, and someone else's
    mag = make_product(slug="mag-rr", name="Mag R&R")
    d3 = make_product(slug="daylight-d3", name="Daylight D3")
    active = _subscribe(make_order(mag, email="Jane@Example.com", status=PAID)[0], mag, ACTIVE)
    paused = _subscribe(make_order(d3, email=JANE, status=PAID)[0], d3, PAUSED)
    unpaid = _subscribe(make_order(mag, email=JANE)[0], mag, INCOMPLETE)
    other = _subscribe(make_order(mag, email="sam@example.com", status=PAID)[0], mag, ACTIVE)
    # When she opens her account
    sign_in(client, JANE)
    page = client.get("/account").data.decode()
    # Then she sees hers: product, what it costs, status and next renewal, and the manage links
    card = _card(page, active)
    assert "Mag R&amp;R" in card and "2 &times; every 60 days, $83.30 each time" in card
    assert "Status: <strong>active</strong>" in card and "Next renewal: <strong>Thu Mar 04, 2027</strong>" in card
    links = dict(re.findall(r'<a href="http://shop\.test/subscriptions/(\w+)/([^"]+)"', card))
    assert set(links) == {"delay", "skip", "pause", "quantity", "cancel"}
    assert re.search(r'Resume<span class="visually-hidden"> Daylight D3', _card(page, paused))
    assert "Status: <strong>paused</strong>" in _card(page, paused) and "Next renewal" not in _card(page, paused)
    assert not _card(page, unpaid) and not _card(page, other)
    # and each link opens the existing manage page for that subscription
    skip = client.get(f"/subscriptions/skip/{links['skip']}")
    assert skip.status_code == 200 and b"not valid" not in skip.data


def test_a_cancelled_subscription_shows_no_links(client, sign_in, mag_rr, make_order):
    cancelled = _subscribe(make_order(mag_rr, email=JANE, status=PAID)[0], mag_rr, CANCELED)
    sign_in(client, JANE)
    card = _card(client.get("/account").data.decode(), cancelled)
    assert "Status: <strong>cancelled</strong>" in card and "/subscriptions/" not in card


def test_no_subscriptions_says_so(client, sign_in):
    sign_in(client, JANE)
    assert b"No subscriptions." in client.get("/account").data
