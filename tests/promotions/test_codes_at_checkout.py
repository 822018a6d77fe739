"""Promotion codes as customers meet them on Stripe's page: taken while valid, refused once
expired, used up, deactivated or meant for a first order only; counted once per paid order."""
from datetime import timedelta

import pytest

from shop.db import utcnow
from shop.extensions import db
from shop.promotions.services import find_code


def redeemed(code: str) -> int:
    db.session.expire_all()
    return find_code(code).times_redeemed


def test_a_percentage_and_an_amount_off_come_off_the_items(store):
    store.code("TENOFF", percent_off=10)
    store.code("FIVE-BUCKS", amount_off=500, currency="usd")
    product = store.product(3000)
    for code, discount in (("TENOFF", 300), ("five-bucks", 500)):
        body = store.checkout((product, 1), email=f"{code.lower()}@example.com")
        assert store.pay(body, code=code).status_code == 200
        store.settle()
        amounts = store.order_api(body)["amounts"]
        assert amounts["discount"] == discount and amounts["total"] == 3000 - discount
    assert redeemed("TENOFF") == redeemed("FIVE-BUCKS") == 1


def test_an_expired_code_is_refused_and_changes_nothing(store):
    # given a code that expires in five minutes, and a customer at Stripe's page
    store.code("SOON", percent_off=20, expires_at=utcnow() + timedelta(minutes=5))
    body = store.checkout((store.product(3000), 1))
    # when ten minutes pass, then the customer enters it
    store.standin.advance_clock(600)
    response = store.pay(body, code="SOON")
    # then Stripe's page refuses it, and the order still waits for payment
    assert response.status_code == 400 and "expired" in response.text
    store.settle()
    assert store.order_api(body)["status"] == "pending_payment" and redeemed("SOON") == 0


def test_a_used_up_code_is_refused_after_its_last_redemption(store):
    # given a code that may be used once
    store.code("ONCE", percent_off=15, max_redemptions=1)
    product = store.product(3000)
    first = store.checkout((product, 1), email="first@example.com")
    second = store.checkout((product, 1), email="second@example.com")
    # when the first customer uses it
    assert store.pay(first, code="ONCE").status_code == 200
    store.settle()
    # then the second is refused, and one redemption is counted here as at Stripe
    refused = store.pay(second, code="ONCE")
    assert refused.status_code == 400 and "maximum" in refused.text
    assert redeemed("ONCE") == 1
    assert store.pay(second).status_code == 200  # without it, they may still pay


def test_a_first_order_code_is_refused_to_a_returning_customer(store):
    store.code("HELLO", percent_off=10, first_order_only=True)
    product = store.product(3000)
    earlier = store.checkout((product, 1), email="back@example.com")
    assert store.pay(earlier).status_code == 200
    store.settle()
    again = store.checkout((product, 1), email="back@example.com")
    assert store.pay(again, code="HELLO").status_code == 400
    fresh = store.checkout((product, 1), email="new@example.com")
    assert store.pay(fresh, code="HELLO").status_code == 200


def test_a_deactivated_code_is_refused(store):
    # given an active code, deactivated by support
    code = store.code("STOPPED", percent_off=10)
    _, _, web = store.staff("support")
    assert web.post(f"/admin/promotion-codes/{code.id}/active", data={"active": "0"}).status_code == 303
    # then Stripe no longer takes it
    body = store.checkout((store.product(3000), 1))
    assert store.pay(body, code="STOPPED").status_code == 400
    promo = store.standin.account.promotion_codes[code.stripe_promotion_code_id]
    assert promo["active"] is False
