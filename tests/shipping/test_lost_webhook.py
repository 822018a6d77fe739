"""A completion whose webhook never came: the stale-checkout sweep reads the session from Stripe
and records the same address and figures the webhook would have."""
from datetime import timedelta

from sqlalchemy import update

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.tasks import sweep_stale_checkouts


def test_the_sweep_records_the_address_and_amounts_of_a_session_paid_without_webhook(store):
    # given a paid checkout (Express, WELCOME10) whose webhooks were lost, two hours ago
    store.demo()
    body = store.checkout((store.product(3000), 1))
    store.standin.pause_webhooks()
    assert store.pay(body, rate="Express", code="WELCOME10").status_code == 200
    store.standin.resume_webhooks(drop_pending=True)
    db.session.execute(update(Order).values(created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    # when the sweep runs
    with store.app.app_context():
        assert sweep_stale_checkouts.run() == {"paid": 1}
    # then the order is paid with what Stripe charged, shipping to the address collected
    order = store.order_api(body)
    assert order["amounts"] == {"subtotal": 3000, "shipping": 1495, "discount": 300, "tax": 0, "total": 4195}
    assert order["total"] == 4195 and order["shipping_address"]["name"] == "Grace Hopper"
    assert store.order(body).shipping_rate_name == "Express"
