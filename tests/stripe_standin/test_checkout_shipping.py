"""Sessions that ship, take promotion codes and compute tax: created through the official SDK,
paid through the control API as the customer would on the page, and the figures they end with.

Figures are worked out by hand in the comments: subtotal − discount + shipping + tax, the
discount on the items only, tax = round_half_up(rate × (items − discount + shipping)).
"""
import time

import pytest
import requests
import stripe

from tests.stripe_standin import stripe_fields
from tests.stripe_standin.conftest import (BERLIN, NEW_YORK, line_item, promotion_code,
                                           rate_data, session_params, shipping_session)


def _pay(standin, session_id, **body):
    return requests.post(f"{standin.url}/_standin/sessions/{session_id}/pay", json=body,
                         timeout=5)


def _adds_up(session) -> bool:
    details = session["total_details"]
    return session["amount_total"] == (session["amount_subtotal"] - details["amount_discount"]
                                       + details["amount_shipping"] + details["amount_tax"])


def test_a_session_offers_its_rates_and_shows_the_first_until_the_customer_chooses(stripe_client):
    # when
    session = shipping_session(stripe_client)

    # then
    assert session.shipping_address_collection.allowed_countries == ["US", "DE"]
    options = session.shipping_options
    assert [o.shipping_amount for o in options] == [500, 1500]
    rates = [stripe_client.v1.shipping_rates.retrieve(o.shipping_rate) for o in options]
    assert [r.display_name for r in rates] == ["Ground", "Express"]  # shipping_rate_data made them
    assert (session.amount_subtotal, session.amount_total) == (7300, 7300 + 500)
    assert set(session.shipping_cost.to_dict()) == stripe_fields.SHIPPING_COST
    assert session.shipping_cost.shipping_rate == options[0].shipping_rate
    assert session.total_details.to_dict() == {"amount_discount": 0, "amount_shipping": 500,
                                               "amount_tax": 0}
    assert session.automatic_tax.to_dict() == {"enabled": True, "liability": {"type": "self"},
                                               "provider": "stripe",
                                               "status": "requires_location_inputs"}
    assert session.phone_number_collection.enabled is True
    assert session.allow_promotion_codes is True
    assert set(session.to_dict()) == stripe_fields.CHECKOUT_SESSION


def test_shipping_a_discounted_taxed_order_adds_up_and_charges_the_total(stripe_client,
                                                                         stripe_standin):
    # given: 10 % off, NY's 8.875 %, the Express rate
    code = promotion_code(stripe_client, "WELCOME10")
    session = shipping_session(stripe_client)
    express = session.shipping_options[1].shipping_rate

    # when
    answer = _pay(stripe_standin, session.id, shipping_details=NEW_YORK, phone="+12125550100",
                  shipping_rate=express, promotion_code="welcome10")

    # then: 7300 − 730 + 1500 = 8070 taxable; 8.875 % of it is 716.21 → 716
    assert answer.status_code == 200
    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["payment_intent.latest_charge", "line_items"]})
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.amount_subtotal == 7300
    assert paid.total_details.to_dict() == {"amount_discount": 730, "amount_shipping": 1500,
                                            "amount_tax": 716}
    assert paid.amount_total == 7300 - 730 + 1500 + 716
    assert _adds_up(paid.to_dict())
    # the shipping's own tax: 8.875 % of 1500 = 133.125 → 133
    assert paid.shipping_cost.to_dict() == {"amount_subtotal": 1500, "amount_tax": 133,
                                            "amount_total": 1633, "shipping_rate": express}
    assert [d.to_dict() for d in paid.discounts] == [
        {"coupon": code.promotion.coupon, "promotion_code": code.id}]
    assert paid.automatic_tax.status == "complete"
    # the money charged is the total
    intent = paid.payment_intent
    assert intent.amount == intent.amount_received == intent.latest_charge.amount == \
        paid.amount_total
    # line items carry their shares of the discount and of the items' tax (716 − 133)
    items = paid.line_items.data
    assert sum(i.amount_discount for i in items) == 730
    assert sum(i.amount_tax for i in items) == 716 - 133
    assert all(i.amount_total == i.amount_subtotal - i.amount_discount + i.amount_tax
               for i in items)
    # the code has been used once, and so has its coupon
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1
    assert stripe_client.v1.coupons.retrieve(code.promotion.coupon).times_redeemed == 1


def test_the_address_and_the_customer_are_where_the_pinned_version_keeps_them(stripe_client,
                                                                             stripe_standin):
    session = shipping_session(stripe_client)

    _pay(stripe_standin, session.id, shipping_details=NEW_YORK, phone="+12125550100")

    paid = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    body = paid.to_dict()
    assert "shipping_details" not in body  # removed in 2025-03-31.basil
    collected = body["collected_information"]
    assert set(collected) == stripe_fields.COLLECTED_INFORMATION
    assert collected["shipping_details"] == NEW_YORK
    customer = body["customer_details"]
    assert set(customer) == stripe_fields.CUSTOMER_DETAILS
    assert set(customer["address"]) == stripe_fields.ADDRESS
    assert (customer["email"], customer["name"], customer["phone"]) == \
        ("ada@example.com", "Grace Hopper", "+12125550100")
    assert (customer["tax_exempt"], customer["tax_ids"]) == ("none", [])
    assert customer["address"] == NEW_YORK["address"]
    assert paid.payment_intent.shipping.address.to_dict() == NEW_YORK["address"]


def test_the_completed_event_carries_the_figures_and_the_address(stripe_client, stripe_standin):
    promotion_code(stripe_client, "WELCOME10")
    session = shipping_session(stripe_client)

    _pay(stripe_standin, session.id, shipping_details=BERLIN, promotion_code="WELCOME10")

    (event,) = stripe_standin.events("checkout.session.completed")
    sent = event["data"]["object"]
    # Germany: 19 %. 7300 − 730 + 500 (Ground, the first option) = 7070 → 1343.3 → 1343
    assert sent["total_details"] == {"amount_discount": 730, "amount_shipping": 500,
                                     "amount_tax": 1343}
    assert sent["amount_total"] == 7300 - 730 + 500 + 1343
    assert sent["collected_information"]["shipping_details"]["address"]["city"] == "Berlin"
    assert sent["discounts"][0]["promotion_code"].startswith("promo_")
    assert sent["customer_details"]["phone"]  # phone collection on: the control API fills one in


def test_paying_without_answers_takes_a_us_address_and_the_first_option(stripe_client,
                                                                       stripe_standin):
    session = shipping_session(stripe_client)

    paid = _pay(stripe_standin, session.id).json()

    shipped_to = paid["collected_information"]["shipping_details"]
    assert shipped_to["name"] == "Ada Lovelace"
    assert shipped_to["address"]["country"] == "US" and shipped_to["address"]["state"] == "IL"
    assert paid["shipping_cost"]["shipping_rate"] == session.shipping_options[0].shipping_rate
    # Illinois' 6.25 % of 7300 + 500 = 487.5 → 488 (halves round up)
    assert paid["total_details"]["amount_tax"] == 488
    assert _adds_up(paid)


def test_free_shipping_adds_nothing_but_the_tax_on_the_items(stripe_client, stripe_standin):
    free = stripe_client.v1.shipping_rates.create(rate_data("Free shipping", 0))
    session = shipping_session(stripe_client, shipping_options=[{"shipping_rate": free.id}])

    paid = _pay(stripe_standin, session.id, shipping_details=NEW_YORK).json()

    assert paid["shipping_cost"] == {"amount_subtotal": 0, "amount_tax": 0, "amount_total": 0,
                                     "shipping_rate": free.id}
    # 8.875 % of 7300 = 647.875 → 648
    assert paid["total_details"] == {"amount_discount": 0, "amount_shipping": 0,
                                     "amount_tax": 648}
    assert paid["amount_total"] == 7300 + 648


def test_the_tax_table_set_through_the_control_api_decides_the_tax(stripe_client, stripe_standin):
    # given: the US at 5 %, New York at 10 %
    table = [{"country": "US", "percentage": 5}, {"country": "US", "state": "NY", "percentage": 10}]
    answer = requests.post(f"{stripe_standin.url}/_standin/tax_rates", json={"rates": table},
                           timeout=5)
    assert answer.status_code == 200
    assert requests.get(f"{stripe_standin.url}/_standin/tax_rates", timeout=5).json()["rates"] == [
        {"country": "US", "state": None, "percentage": 5.0},
        {"country": "US", "state": "NY", "percentage": 10.0}]
    texas = {"name": "T", "address": dict(NEW_YORK["address"], city="Austin", state="TX")}
    sessions = [shipping_session(stripe_client) for _ in range(3)]

    # when
    taxes = [_pay(stripe_standin, s.id, shipping_details=place).json()["total_details"]["amount_tax"]
             for s, place in zip(sessions, (NEW_YORK, texas, BERLIN))]

    # then: NY's own entry wins (10 % of 7800), Texas falls back to the country (5 %), and
    # Germany has no entry any more (0)
    assert taxes == [780, 390, 0]


def test_without_automatic_tax_there_is_no_tax(stripe_client, stripe_standin):
    session = shipping_session(stripe_client, automatic_tax={"enabled": False})

    paid = _pay(stripe_standin, session.id, shipping_details=NEW_YORK).json()

    assert paid["total_details"]["amount_tax"] == 0
    assert paid["automatic_tax"] == {"enabled": False, "liability": None, "provider": None,
                                     "status": None}
    assert paid["amount_total"] == 7300 + 500


def test_a_bad_tax_table_is_refused_and_the_old_one_kept(stripe_standin):
    before = requests.get(f"{stripe_standin.url}/_standin/tax_rates", timeout=5).json()

    answers = [requests.post(f"{stripe_standin.url}/_standin/tax_rates", json={"rates": rates},
                             timeout=5)
               for rates in ([{"country": "USA", "percentage": 5}],
                             [{"country": "US", "percentage": 101}],
                             [{"country": "US", "percentage": 5}, {"country": "us", "percentage": 6}],
                             "US 5 %")]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert all(a.json()["error"]["type"] == "invalid_request_error" for a in answers)
    assert requests.get(f"{stripe_standin.url}/_standin/tax_rates", timeout=5).json() == before


def test_an_amount_off_larger_than_the_items_leaves_them_free_but_not_negative(stripe_client,
                                                                              stripe_standin):
    promotion_code(stripe_client, "HUGE", coupon={"amount_off": 100_000, "currency": "eur"})
    session = shipping_session(stripe_client)

    paid = _pay(stripe_standin, session.id, shipping_details=BERLIN, promotion_code="HUGE").json()

    # the discount takes the items (7300) and no more; shipping and its tax remain: 19 % of 500
    assert paid["total_details"] == {"amount_discount": 7300, "amount_shipping": 500,
                                     "amount_tax": 95}
    assert paid["amount_total"] == 595
    assert stripe_standin.payment_intent(paid["payment_intent"])["amount"] == 595


def test_a_free_order_needs_no_payment(stripe_client, stripe_standin):
    promotion_code(stripe_client, "ALL", coupon={"percent_off": 100})
    session = stripe_client.v1.checkout.sessions.create(session_params(allow_promotion_codes=True))

    paid = _pay(stripe_standin, session.id, promotion_code="ALL").json()

    assert (paid["amount_total"], paid["payment_status"]) == (0, "no_payment_required")
    assert paid["total_details"]["amount_discount"] == 7300


def test_refunds_stop_at_the_total_charged(stripe_client, stripe_standin):
    promotion_code(stripe_client, "WELCOME10")
    session = shipping_session(stripe_client)
    paid = _pay(stripe_standin, session.id, shipping_details=NEW_YORK,
                promotion_code="WELCOME10").json()
    total = paid["amount_total"]

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.refunds.create({"payment_intent": paid["payment_intent"],
                                         "amount": total + 1})
    refund = stripe_client.v1.refunds.create({"payment_intent": paid["payment_intent"]})

    assert too_much.value.code == "amount_too_large"
    assert refund.amount == total


# -- codes that cannot be used ---------------------------------------------------------------
def _refused(standin, session_id, code, **body):
    payments = len(standin.events("payment_intent.created"))
    answer = _pay(standin, session_id, promotion_code=code, **body)
    assert answer.status_code == 400, answer.text
    assert standin.session(session_id)["status"] == "open"
    assert len(standin.events("payment_intent.created")) == payments  # nothing paid
    return answer.json()["error"]


def test_an_expired_code_is_refused(stripe_client, stripe_standin):
    code = promotion_code(stripe_client, "SOON", expires_at=int(time.time()) + 3600)
    session = shipping_session(stripe_client)
    stripe_standin.advance_clock(3601)

    error = _refused(stripe_standin, session.id, "SOON")

    assert (error["type"], error["code"], error["param"]) == \
        ("invalid_request_error", "coupon_expired", "promotion_code")
    assert "expired" in error["message"]
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 0


def test_a_code_whose_coupon_passed_its_redeem_by_is_refused(stripe_client, stripe_standin):
    promotion_code(stripe_client, "OLD", coupon={"percent_off": 10,
                                                 "redeem_by": int(time.time()) + 600})
    session = shipping_session(stripe_client)
    stripe_standin.advance_clock(601)

    assert _refused(stripe_standin, session.id, "OLD")["code"] == "coupon_expired"


def test_an_exhausted_code_is_refused(stripe_client, stripe_standin):
    code = promotion_code(stripe_client, "ONCE", max_redemptions=1)
    first, second = shipping_session(stripe_client), shipping_session(stripe_client)
    assert _pay(stripe_standin, first.id, promotion_code="ONCE").status_code == 200

    error = _refused(stripe_standin, second.id, "ONCE")

    assert "maximum number of times" in error["message"]
    assert stripe_client.v1.promotion_codes.retrieve(code.id).times_redeemed == 1


def test_an_exhausted_coupon_refuses_every_code_for_it(stripe_client, stripe_standin):
    coupon = stripe_client.v1.coupons.create({"percent_off": 10, "max_redemptions": 1})
    for text in ("ONE", "TWO"):
        stripe_client.v1.promotion_codes.create(
            {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": text})
    first, second = shipping_session(stripe_client), shipping_session(stripe_client)
    _pay(stripe_standin, first.id, promotion_code="ONE")

    _refused(stripe_standin, second.id, "TWO")

    assert stripe_client.v1.coupons.retrieve(coupon.id).valid is False


def test_a_first_order_code_is_refused_to_a_returning_customer(stripe_client, stripe_standin):
    promotion_code(stripe_client, "FIRST", restrictions={"first_time_transaction": True})
    earlier = shipping_session(stripe_client)
    _pay(stripe_standin, earlier.id)  # ada@example.com has ordered before
    again = shipping_session(stripe_client)
    newcomer = shipping_session(stripe_client, customer_email="grace@example.com")

    error = _refused(stripe_standin, again.id, "FIRST")

    assert "first order" in error["message"]
    assert _pay(stripe_standin, newcomer.id, promotion_code="FIRST").status_code == 200


@pytest.mark.parametrize("code", ["NOSUCHCODE", "ARCHIVED"])
def test_unknown_and_inactive_codes_are_refused(stripe_client, stripe_standin, code):
    archived = promotion_code(stripe_client, "ARCHIVED")
    stripe_client.v1.promotion_codes.update(archived.id, {"active": False})
    session = shipping_session(stripe_client)

    error = _refused(stripe_standin, session.id, code)

    assert "invalid" in error["message"]


def test_a_minimum_order_is_enforced(stripe_client, stripe_standin):
    promotion_code(stripe_client, "BIG", restrictions={"minimum_amount": 10_000,
                                                       "minimum_amount_currency": "eur"})
    session = shipping_session(stripe_client)  # 73.00 EUR of items

    assert "at least 100.00 EUR" in _refused(stripe_standin, session.id, "BIG")["message"]


def test_a_session_without_allow_promotion_codes_takes_no_code(stripe_client, stripe_standin):
    promotion_code(stripe_client, "WELCOME10")
    session = shipping_session(stripe_client, allow_promotion_codes=False)

    _refused(stripe_standin, session.id, "WELCOME10")


# -- addresses and options that cannot be used -----------------------------------------------
@pytest.mark.parametrize("body, param", [
    ({"shipping_details": {"name": "X", "address": dict(NEW_YORK["address"], city=None)}},
     "shipping_details[address][city]"),
    ({"shipping_details": {"name": "X", "address": dict(NEW_YORK["address"], state="")}},
     "shipping_details[address][state]"),
    ({"shipping_details": {"address": NEW_YORK["address"]}}, "shipping_details[name]"),
    ({"shipping_details": {"name": "X", "address": dict(BERLIN["address"], country="FR")}},
     "shipping_details[address][country]"),
    ({"shipping_rate": "shr_not_offered"}, "shipping_rate"),
])
def test_what_the_page_would_refuse_is_refused(stripe_client, stripe_standin, body, param):
    session = shipping_session(stripe_client)

    answer = _pay(stripe_standin, session.id, **body)

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param
    assert stripe_standin.session(session.id)["status"] == "open"


# -- what session creation refuses -----------------------------------------------------------
def test_a_discount_can_be_given_at_creation(stripe_client, stripe_standin):
    code = promotion_code(stripe_client)
    coupon = stripe_client.v1.coupons.create({"amount_off": 1000, "currency": "eur"})

    by_code = stripe_client.v1.checkout.sessions.create(
        session_params(discounts=[{"promotion_code": code.id}]))
    by_coupon = stripe_client.v1.checkout.sessions.create(
        session_params(discounts=[{"coupon": coupon.id}]))

    assert (by_code.total_details.amount_discount, by_code.amount_total) == (730, 6570)
    assert [d.to_dict() for d in by_coupon.discounts] == [{"coupon": coupon.id,
                                                          "promotion_code": None}]
    assert by_coupon.amount_total == 6300
    paid = _pay(stripe_standin, by_coupon.id).json()
    assert paid["amount_total"] == 6300
    assert stripe_client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def _refused_at_creation(stripe_client, **params):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(session_params(**params))
    assert stripe_client.v1.checkout.sessions.list().data == []
    return refused.value


def test_allow_promotion_codes_and_discounts_do_not_go_together(stripe_client):
    code = promotion_code(stripe_client)

    refused = _refused_at_creation(stripe_client, allow_promotion_codes=True,
                                   discounts=[{"promotion_code": code.id}])

    assert refused.user_message == ("You may only specify one of these parameters: "
                                    "allow_promotion_codes, discounts.")


def test_an_expired_code_cannot_be_given_at_creation(stripe_client, stripe_standin):
    code = promotion_code(stripe_client, expires_at=int(time.time()) + 60)
    stripe_standin.advance_clock(61)

    refused = _refused_at_creation(stripe_client, discounts=[{"promotion_code": code.id}])

    assert (refused.code, refused.param) == ("coupon_expired", "discounts[0][promotion_code]")


@pytest.mark.parametrize("params, param", [
    ({"shipping_address_collection": {"allowed_countries": ["US", "XX"]}},
     "shipping_address_collection[allowed_countries][1]"),
    ({"shipping_address_collection": {"allowed_countries": "US"}},
     "shipping_address_collection[allowed_countries]"),
    ({"shipping_options": [{"shipping_rate_data": rate_data(f"R{n}")} for n in range(6)]},
     "shipping_options"),
    ({"shipping_options": [{"shipping_rate_data": rate_data(currency="usd")}]},
     "shipping_options[0]"),
    ({"shipping_options": [{"shipping_rate": "shr_x", "shipping_rate_data": rate_data()}]},
     "shipping_options[0]"),
    ({"shipping_options": [{"shipping_rate_data": {"type": "fixed_amount"}}]},
     "shipping_options[0][shipping_rate_data][display_name]"),
    ({"discounts": [{"coupon": "A"}, {"coupon": "B"}]}, "discounts"),
    ({"automatic_tax": {"enabled": "maybe"}}, "automatic_tax[enabled]"),
    ({"automatic_tax": {}}, None),  # absent: off
    ({"phone_number_collection": {"enabled": "yes"}}, "phone_number_collection[enabled]"),
    ({"allow_promotion_codes": "sure"}, "allow_promotion_codes"),
    ({"automatic_tax": {"enabled": True},
      "line_items": [dict(line_item(), price_data=dict(line_item()["price_data"],
                                                       tax_behavior="inclusive"))]},
     "line_items[0][price_data][tax_behavior]"),
    ({"line_items": [dict(line_item(), price_data=dict(
        line_item()["price_data"], product_data={"name": "X", "tax_code": "food"}))]},
     "line_items[0][price_data][product_data][tax_code]"),
])
def test_session_parameters_stripe_would_refuse_are_refused(stripe_client, params, param):
    if param is None:
        assert stripe_client.v1.checkout.sessions.create(session_params(**params)).automatic_tax \
            .enabled is False
        return
    assert _refused_at_creation(stripe_client, **params).param == param


def test_a_session_offers_only_active_rates_that_exist(stripe_client):
    archived = stripe_client.v1.shipping_rates.create(rate_data())
    stripe_client.v1.shipping_rates.update(archived.id, {"active": False})

    inactive = _refused_at_creation(stripe_client,
                                    shipping_options=[{"shipping_rate": archived.id}])
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.checkout.sessions.create(
            session_params(shipping_options=[{"shipping_rate": "shr_nope"}]))

    assert inactive.param == "shipping_options[0][shipping_rate]"
    assert (unknown.value.http_status, unknown.value.code) == (404, "resource_missing")


def test_a_refused_session_leaves_no_inline_rate_behind(stripe_client):
    _refused_at_creation(stripe_client, shipping_options=[
        {"shipping_rate_data": rate_data()}, {"shipping_rate": "shr_nope"}])

    assert stripe_client.v1.shipping_rates.list().data == []


def test_line_items_keep_their_tax_code_and_behavior(stripe_client):
    item = line_item()
    item["price_data"].update(tax_behavior="exclusive")
    item["price_data"]["product_data"]["tax_code"] = "txcd_99999999"

    session = stripe_client.v1.checkout.sessions.create(session_params(line_items=[item]))

    (found,) = stripe_client.v1.checkout.sessions.line_items.list(
        session.id, {"expand": ["data.price.product"]}).data
    assert found.price.tax_behavior == "exclusive"
    assert found.price.product.tax_code == "txcd_99999999"


def test_a_session_with_its_own_discount_takes_no_typed_code(stripe_client, stripe_standin):
    given = promotion_code(stripe_client)
    promotion_code(stripe_client, "WELCOME10")
    session = stripe_client.v1.checkout.sessions.create(
        session_params(discounts=[{"promotion_code": given.id}]))

    error = _refused(stripe_standin, session.id, "WELCOME10")

    assert "does not take promotion codes" in error["message"]


# -- the control API ------------------------------------------------------------------------
def test_the_control_index_lists_the_new_endpoints(stripe_standin):
    endpoints = requests.get(f"{stripe_standin.url}/_standin/", timeout=5).json()["endpoints"]

    assert {"GET /_standin/tax_rates", "POST /_standin/tax_rates"} <= set(endpoints)
    assert "promotion_code" in endpoints["POST /_standin/sessions/<id>/pay"]


@pytest.mark.parametrize("body, param", [
    ({"shipping_details": {"name": "X", "address": {"line1": 1}}},
     "shipping_details[address][line1]"),
    ({"shipping_details": {"name": "X", "address": {"street": "Main"}}},
     "shipping_details[address][street]"),
    ({"shipping_details": "1 Main St"}, "shipping_details"),
    ({"promotion_code": 10}, "promotion_code"),
    ({"coupon": "TEN"}, "coupon"),
])
def test_the_control_api_refuses_a_malformed_body(stripe_client, stripe_standin, body, param):
    session = shipping_session(stripe_client)

    answer = _pay(stripe_standin, session.id, **body)

    assert (answer.status_code, answer.json()["error"]["param"]) == (400, param)


def test_the_control_api_takes_a_lower_case_country(stripe_client, stripe_standin):
    session = shipping_session(stripe_client)
    berlin = {"name": "E", "address": dict(BERLIN["address"], country="de")}

    paid = _pay(stripe_standin, session.id, shipping_details=berlin).json()

    assert paid["collected_information"]["shipping_details"]["address"]["country"] == "DE"
