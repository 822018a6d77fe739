"""The dashboard and the subscriptions list show active subscriptions, monthly recurring revenue
and churn over 30 days, counted by the database."""
import re
from datetime import timedelta

import pytest

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import PAID
from shop.subscriptions.figures import subscription_figures
from shop.subscriptions.models import Subscription

DAY = timedelta(days=1)


@pytest.fixture
def store(make_order, make_product):
    """Given: two billing subscriptions (one 30 days, one 2 bottles every 60 days), one paused,
    one cancelled 10 days ago, one cancelled 40 days ago, one that never got paid."""
    product = make_product(slug="mag-sub", subscription_discount_percent=15)
    now = utcnow()

    def sub(status, *, quantity=1, interval=30, price=4165, created=now - 60 * DAY, canceled=None, paid=True):
        order, _ = make_order(product, status=PAID)
        row = Subscription(order_id=order.id, product_id=product.id, quantity=quantity, unit_price=price,
                           currency="usd", status=status, interval_days=interval, created_at=created,
                           canceled_at=canceled, stripe_subscription_id=f"sub_{order.id}" if paid else None)
        db.session.add(row)

    sub("active")
    sub("trialing", quantity=2, interval=60, created=now - 5 * DAY)  # 2 × 41.65 every 60 days
    sub("paused", created=now - 40 * DAY)
    sub("canceled", canceled=now - 10 * DAY)
    sub("canceled", canceled=now - 40 * DAY)
    sub("incomplete", paid=False)
    db.session.commit()
    return now


def test_figures_count_billing_subscriptions_mrr_over_30_days_and_churn(store):
    figures = subscription_figures(store)

    assert figures.active == 2
    assert figures.mrr == {"usd": 4165 + 4165}  # 2 × 4165 × 30 / 60
    # live 30 days ago: the active one, the paused one, the one cancelled 10 days ago
    assert (figures.canceled_recently, figures.active_at_start) == (1, 3)
    assert figures.churn == pytest.approx(1 / 3)


def test_mrr_rounds_each_subscription_to_the_cent(make_order, make_product):
    product = make_product(slug="odd", subscription_discount_percent=10)
    order, _ = make_order(product, status=PAID)
    db.session.add(Subscription(order_id=order.id, product_id=product.id, quantity=1, unit_price=1000,
                                currency="eur", status="active", interval_days=45, stripe_subscription_id="sub_odd"))
    db.session.commit()

    assert subscription_figures().mrr == {"eur": 667}  # 1000 × 30 / 45 = 666.67


def test_no_subscriptions_no_churn(app):
    figures = subscription_figures()
    assert (figures.active, figures.mrr, figures.churn) == (0, {}, None)


@pytest.mark.parametrize("path", ["/admin/", "/admin/subscriptions"])
def test_the_dashboard_and_the_list_show_the_figures(staff_client, store, path):
    client, _ = staff_client("support")

    html = client.get(path).get_data(as_text=True)

    def metric(name):
        return re.search(rf'data-metric="{name}">([^<]*)<', html).group(1)

    assert metric("active-subscriptions") == "2"
    assert metric("subscription-mrr") == "$83.30"
    assert metric("subscription-churn") == "33.3%"
