"""Concurrent checkouts for scarce stock, on PostgreSQL's row locks: never oversold, never negative."""
import threading

import pytest
from sqlalchemy import func, select

from shop.errors import Conflict
from shop.extensions import db
from shop.orders.checkout import CheckoutLine, start_checkout
from shop.orders.models import PENDING_PAYMENT, Order


@pytest.mark.postgres
def test_fifty_checkouts_for_ten_units(stripe_app, make_product):
    # given 10 units in stock
    product = make_product(slug="mag-rr", stock=10)
    start = threading.Barrier(50)
    results: list[str] = []
    lock = threading.Lock()

    def customer(n: int) -> None:
        with stripe_app.app_context():
            start.wait()
            try:
                start_checkout(f"buyer{n}@example.com", [CheckoutLine("mag-rr", 1)])
                outcome = "ok"
            except Conflict:
                outcome = "sold out"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    # when 50 customers check out one unit each at the same moment, each in its own session
    threads = [threading.Thread(target=customer, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then exactly 10 succeed, 40 are told it is sold out, and stock ends at 0
    assert sorted(set(results)) == ["ok", "sold out"], results
    assert results.count("ok") == 10 and results.count("sold out") == 40
    db.session.expire_all()
    assert db.session.get(type(product), product.id).stock == 0
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == PENDING_PAYMENT)) == 10
    assert db.session.scalar(select(func.count()).select_from(Order)) == 10  # refusals leave no order behind
    assert all(o.stripe_checkout_session_id for o in db.session.scalars(select(Order)))


@pytest.mark.postgres
def test_the_same_event_delivered_concurrently_pays_once(stripe_app, make_product, make_order):
    import json

    from shop.emails.models import EmailMessage
    from shop.orders.models import PAID
    from shop.payments.models import StripeEvent
    from tests.payments.stripe_events import checkout_session, event, signed

    # given an order waiting for payment, and one completed event
    product = make_product(slug="mag-rr", stock=10)
    order, _ = make_order(product, status=PENDING_PAYMENT)
    payload = json.dumps(event("checkout.session.completed", checkout_session(order))).encode()
    secret = stripe_app.config["STRIPE_WEBHOOK_SECRET"]
    start = threading.Barrier(10)
    statuses: list[int] = []

    def stripe_delivery() -> None:
        client = stripe_app.test_client()
        start.wait()
        response = client.post("/api/v1/stripe/webhook", data=payload,
                               headers={"Stripe-Signature": signed(payload, secret)})
        statuses.append(response.status_code)

    # when Stripe's retries deliver it 10 times at once
    threads = [threading.Thread(target=stripe_delivery) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then every delivery is acknowledged, the event is stored once, the order paid once, one email
    assert statuses == [200] * 10
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == PAID
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    assert db.session.scalar(select(func.count()).select_from(EmailMessage)) == 1


@pytest.mark.postgres
def test_one_clients_concurrent_checkouts_cannot_pass_the_unpaid_units_cap_together(stripe_app, make_product):
    from shop.orders.limits import TooManyUnpaidUnits

    # given two products in stock and the default cap of 100 unpaid units per client (a limit,
    # so on only with the limits; the flask-limiter counters read the setting at start and stay off)
    stripe_app.config["RATELIMIT_ENABLED"] = True
    make_product(slug="mag-rr", stock=100)
    make_product(slug="zinc", stock=100)
    start = threading.Barrier(6)
    results: list[str] = []
    lock = threading.Lock()

    def hoarder(n: int) -> None:
        with stripe_app.app_context():
            start.wait()
            try:
                start_checkout(f"hoarder{n}@example.com", [CheckoutLine(("mag-rr", "zinc")[n % 2], 60)],
                               client_address="203.0.113.7")
                outcome = "ok"
            except TooManyUnpaidUnits:
                outcome = "capped"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    # when one address starts six checkouts of 60 units at the same moment, for two products
    threads = [threading.Thread(target=hoarder, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then exactly one gets through; the others are capped and hold nothing
    assert sorted(results) == ["capped"] * 5 + ["ok"], results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
