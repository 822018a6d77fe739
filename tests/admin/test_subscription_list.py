"""Staff see subscriptions: customer, product, status, next renewal, renewal orders."""
from datetime import date

from shop.extensions import db
from shop.orders.models import PAID
from shop.subscriptions.models import Subscription


def test_support_lists_subscriptions_and_filters_by_status(staff_client, make_order, make_product):
    product = make_product(slug="mag-sub", name="Mag Sub", subscription_discount_percent=15)
    first, _ = make_order(product, status=PAID, email="sub@example.com")
    other, _ = make_order(product, status=PAID, email="gone@example.com")
    db.session.add_all([
        Subscription(order_id=first.id, product_id=product.id, quantity=1, unit_price=4165, currency="usd",
                     status="active", interval_days=30, next_renewal_on=date(2031, 5, 4),
                     stripe_subscription_id="sub_live"),
        Subscription(order_id=other.id, product_id=product.id, quantity=2, unit_price=4165, currency="usd",
                     status="canceled", interval_days=60, stripe_subscription_id="sub_gone"),
    ])
    db.session.commit()
    client, _ = staff_client("support")

    page = client.get("/admin/subscriptions")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "sub@example.com" in text and "gone@example.com" in text and "2031-05-04" in text
    active = client.get("/admin/subscriptions?status=active").get_data(as_text=True)
    assert "sub@example.com" in active and "gone@example.com" not in active


def test_fulfilment_staff_may_not_open_the_list(staff_client):
    client, _ = staff_client("fulfilment")
    assert client.get("/admin/subscriptions").status_code == 403
