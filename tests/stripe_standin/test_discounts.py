"""Coupons and promotion codes through the official SDK: create, read, change, and refusals."""
import time

import pytest
import requests
import stripe

from tests.stripe_standin import stripe_fields
from tests.stripe_standin.conftest import promotion_code


def test_a_coupon_is_shaped_like_stripes_and_can_be_retrieved_and_deleted(stripe_client,
                                                                          stripe_standin):
    # when
    coupon = stripe_client.v1.coupons.create({
        "id": "SPRING25", "percent_off": 25.5, "duration": "repeating", "duration_in_months": 3,
        "max_redemptions": 100, "name": "Spring", "metadata": {"campaign": "spring"}})

    # then
    assert set(coupon.to_dict()) == stripe_fields.COUPON
    assert (coupon.id, coupon.object, coupon.percent_off, coupon.amount_off) == \
        ("SPRING25", "coupon", 25.5, None)
    assert (coupon.duration, coupon.duration_in_months, coupon.max_redemptions) == \
        ("repeating", 3, 100)
    assert (coupon.times_redeemed, coupon.valid) == (0, True)
    assert stripe_client.v1.coupons.retrieve("SPRING25").to_dict() == coupon.to_dict()
    deleted = stripe_client.v1.coupons.delete("SPRING25")
    assert (deleted.id, deleted.deleted) == ("SPRING25", True)
    with pytest.raises(stripe.InvalidRequestError) as gone:
        stripe_client.v1.coupons.retrieve("SPRING25")
    assert gone.value.http_status == 404
    assert [e["type"] for e in stripe_standin.events()] == ["coupon.created", "coupon.deleted"]


def test_an_amount_off_coupon_has_a_currency_and_a_made_up_id(stripe_client):
    coupon = stripe_client.v1.coupons.create({"amount_off": 500, "currency": "EUR"})

    assert (coupon.amount_off, coupon.currency, coupon.percent_off) == (500, "eur", None)
    assert coupon.duration == "once"
    assert len(coupon.id) == 8 and coupon.id.isalnum()


@pytest.mark.parametrize("params, param", [
    ({"duration": "once"}, "percent_off"),
    ({"percent_off": 10, "amount_off": 100, "currency": "eur"}, "percent_off"),
    ({"percent_off": 0}, "percent_off"),
    ({"percent_off": 100.5}, "percent_off"),
    ({"amount_off": 500}, "currency"),
    ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
    ({"percent_off": 10, "duration": "sometimes"}, "duration"),
    ({"percent_off": 10, "redeem_by": 1_000_000_000}, "redeem_by"),
    ({"percent_off": 10, "max_redemptions": 0}, "max_redemptions"),
    ({"percent_off": 10, "applies_to": {"products": ["prod_1"]}}, "applies_to"),
])
def test_coupons_stripe_would_refuse_are_refused(stripe_client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.coupons.create(params)

    assert (refused.value.http_status, refused.value.param) == (400, param)
    assert stripe_client.v1.coupons.list().data == []


def test_a_coupon_id_is_taken_once(stripe_client):
    stripe_client.v1.coupons.create({"id": "TEN", "percent_off": 10})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.coupons.create({"id": "TEN", "percent_off": 20})

    assert refused.value.code == "resource_already_exists"
    assert stripe_client.v1.coupons.retrieve("TEN").percent_off == 10


def test_a_promotion_code_names_its_coupon_under_promotion(stripe_client, stripe_standin):
    # when
    code = promotion_code(
        stripe_client, "WELCOME10", max_redemptions=50,
        expires_at=int(time.time()) + 3600, metadata={"channel": "newsletter"},
        restrictions={"first_time_transaction": True, "minimum_amount": 2000,
                      "minimum_amount_currency": "eur"})

    # then
    assert set(code.to_dict()) == stripe_fields.PROMOTION_CODE
    assert code.id.startswith("promo_") and code.object == "promotion_code"
    assert (code.code, code.active, code.times_redeemed, code.max_redemptions) == \
        ("WELCOME10", True, 0, 50)
    assert code.promotion.type == "coupon"
    assert stripe_client.v1.coupons.retrieve(code.promotion.coupon).percent_off == 10
    assert code.restrictions.to_dict() == {"first_time_transaction": True, "minimum_amount": 2000,
                                           "minimum_amount_currency": "eur"}
    assert stripe_client.v1.promotion_codes.retrieve(code.id).to_dict() == code.to_dict()
    expanded = stripe_client.v1.promotion_codes.retrieve(code.id, {"expand": ["promotion.coupon"]})
    assert expanded.promotion.coupon.object == "coupon"
    assert [e["type"] for e in stripe_standin.events()] == ["coupon.created",
                                                           "promotion_code.created"]


def test_the_older_top_level_coupon_parameter_still_makes_a_code(stripe_client):
    coupon = stripe_client.v1.coupons.create({"percent_off": 15})

    code = stripe_client.v1.promotion_codes.create({"coupon": coupon.id})  # before 2025-09-30

    assert code.promotion.coupon == coupon.id
    assert len(code.code) == 8  # made up when not given


def test_promotion_codes_are_found_by_code_and_active(stripe_client):
    # given
    welcome = promotion_code(stripe_client, "WELCOME10")
    summer = promotion_code(stripe_client, "SUMMER")

    # when
    stripe_client.v1.promotion_codes.update(summer.id, {"active": False})

    # then
    assert [p.id for p in stripe_client.v1.promotion_codes.list({"code": "welcome10"}).data] == \
        [welcome.id]
    assert [p.id for p in stripe_client.v1.promotion_codes.list({"active": True}).data] == \
        [welcome.id]
    assert [p.id for p in stripe_client.v1.promotion_codes.list({"active": False}).data] == \
        [summer.id]
    assert stripe_client.v1.promotion_codes.list({"code": "NOPE"}).data == []


def test_an_active_code_text_is_unique_and_a_code_comes_back_only_while_free(stripe_client):
    # given
    first = promotion_code(stripe_client, "WELCOME10")

    # then: a second active WELCOME10 is refused, whatever the case
    with pytest.raises(stripe.InvalidRequestError) as taken:
        promotion_code(stripe_client, "welcome10")
    assert taken.value.param == "code"

    # when the first is archived, the text is free again, and the first cannot come back
    stripe_client.v1.promotion_codes.update(first.id, {"active": False})
    promotion_code(stripe_client, "WELCOME10")
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.promotion_codes.update(first.id, {"active": True})
    assert again.value.param == "active"


@pytest.mark.parametrize("extra, param", [
    ({"code": "NO SPACES"}, "code"),
    ({"expires_at": 1_000_000_000}, "expires_at"),
    ({"max_redemptions": 0}, "max_redemptions"),
    ({"restrictions": {"minimum_amount": 2000}}, "restrictions[minimum_amount_currency]"),
    ({"restrictions": {"first_time_transaction": "yes"}}, "restrictions[first_time_transaction]"),
    ({"customer": "cus_123"}, "customer"),
])
def test_promotion_codes_stripe_would_refuse_are_refused(stripe_client, extra, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        promotion_code(stripe_client, **extra)

    assert (refused.value.http_status, refused.value.param) == (400, param)
    assert stripe_client.v1.promotion_codes.list().data == []


def test_a_code_cannot_outlive_or_outnumber_its_coupon(stripe_client):
    coupon = {"percent_off": 10, "redeem_by": int(time.time()) + 600, "max_redemptions": 5}

    with pytest.raises(stripe.InvalidRequestError) as late:
        promotion_code(stripe_client, coupon=coupon, expires_at=int(time.time()) + 3600)
    with pytest.raises(stripe.InvalidRequestError) as many:
        promotion_code(stripe_client, coupon=coupon, max_redemptions=6)

    assert (late.value.param, many.value.param) == ("expires_at", "max_redemptions")


def test_a_code_for_an_unknown_coupon_is_a_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.promotion_codes.create({"promotion": {"type": "coupon",
                                                               "coupon": "NOPE"}})

    assert (missing.value.http_status, missing.value.param) == (404, "promotion[coupon]")


def test_a_coupon_stops_being_valid_when_its_date_passes(stripe_client, stripe_standin):
    coupon = stripe_client.v1.coupons.create({"percent_off": 10,
                                              "redeem_by": int(time.time()) + 600})

    stripe_standin.advance_clock(601)

    assert stripe_client.v1.coupons.retrieve(coupon.id).valid is False


def test_codes_survive_a_restart_with_the_state_file(tmp_path, stripe_client, stripe_standin):
    # given
    code = promotion_code(stripe_client, "WELCOME10")
    stripe_standin.set_tax_rates([{"country": "FR", "percentage": 5.5}])
    path = str(tmp_path / "state.json")

    # when
    stripe_standin.account.save(path)
    stripe_standin.reset()
    assert stripe_client.v1.promotion_codes.list().data == []
    stripe_standin.account.load(path)

    # then
    assert stripe_client.v1.promotion_codes.retrieve(code.id).code == "WELCOME10"
    assert requests.get(f"{stripe_standin.url}/_standin/tax_rates", timeout=5).json() == \
        {"rates": [{"country": "FR", "state": None, "percentage": 5.5}]}
