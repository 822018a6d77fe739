"""Property: whatever the items, the code and the rates, a paid session's figures add up, are
never negative, and are what the documented formula gives; the charge is the total."""
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stripe_standin import totals
from tests.stripe_standin.conftest import line_item, rate_data, session_params

ADDRESS = {"line1": "1 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701",
           "country": "US"}


def _half_up(value: Fraction) -> int:
    """The oracle's own rounding: to the nearest unit, halves up (values are never negative)."""
    return int(value + Fraction(1, 2))


items = st.lists(st.tuples(st.integers(0, 50_000), st.integers(1, 5)), min_size=1, max_size=5)
percent_off = st.decimals(min_value="0.01", max_value=100, places=2).map(float)
amount_off = st.integers(1, 100_000)
coupons = st.one_of(st.builds(lambda p: {"percent_off": p}, percent_off),
                    st.builds(lambda a: {"amount_off": a, "currency": "usd"}, amount_off),
                    st.none())
tax_rates = st.one_of(st.none(), st.decimals(min_value=0, max_value=30, places=3).map(float))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=items, coupon=coupons, shipping=st.integers(0, 5_000), percentage=tax_rates)
def test_paid_totals_add_up_and_are_never_negative(stripe_client, stripe_standin, items, coupon,
                                                   shipping, percentage):
    # given
    stripe_standin.set_tax_rates([] if percentage is None else
                                 [{"country": "US", "state": "IL", "percentage": percentage}])
    code = None
    if coupon is not None:
        made = stripe_client.v1.coupons.create(coupon)
        code = stripe_client.v1.promotion_codes.create(
            {"promotion": {"type": "coupon", "coupon": made.id}}).code
    session = stripe_client.v1.checkout.sessions.create(session_params(
        line_items=[line_item(unit_amount=a, quantity=q, currency="usd") for a, q in items],
        shipping_address_collection={"allowed_countries": ["US"]},
        shipping_options=[{"shipping_rate_data": rate_data(amount=shipping, currency="usd")}],
        allow_promotion_codes=True, automatic_tax={"enabled": True}))

    # when
    paid = stripe_standin.pay(session.id, promotion_code=code,
                              shipping_details={"name": "Ada", "address": ADDRESS})

    # then: the figures add up and none is negative
    details = paid["total_details"]
    subtotal, discount = paid["amount_subtotal"], details["amount_discount"]
    tax = details["amount_tax"]
    assert paid["amount_total"] == subtotal - discount + details["amount_shipping"] + tax
    assert min(paid["amount_total"], discount, tax, details["amount_shipping"]) >= 0
    # ... and are the formula's
    assert subtotal == sum(a * q for a, q in items)
    assert details["amount_shipping"] == shipping
    assert discount == _expected_discount(coupon, subtotal)
    rate = Fraction(str(percentage or 0))
    assert tax == _half_up(rate * (subtotal - discount + shipping) / 100)
    assert paid["shipping_cost"]["amount_tax"] == _half_up(rate * shipping / 100)
    # the line items share the discount and the items' tax exactly
    lines = stripe_standin.account.line_items[session.id]
    assert sum(i["amount_discount"] for i in lines) == discount
    assert sum(i["amount_tax"] for i in lines) == tax - paid["shipping_cost"]["amount_tax"]
    assert all(i["amount_total"] >= 0 for i in lines)
    # the charge is the total
    assert stripe_standin.payment_intent(paid["payment_intent"])["amount"] == paid["amount_total"]


def _expected_discount(coupon, subtotal: int) -> int:
    if coupon is None:
        return 0
    if "percent_off" in coupon:
        return min(subtotal, _half_up(Fraction(str(coupon["percent_off"])) * subtotal / 100))
    return min(subtotal, coupon["amount_off"])


@given(amount=st.integers(0, 10**7), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
def test_a_spread_adds_up_and_gives_no_line_more_than_it_has(amount, weights):
    amount = min(amount, sum(weights)) if sum(weights) else amount

    shares = totals.spread(amount, weights)

    assert sum(shares) == amount
    assert all(share >= 0 for share in shares)
    if sum(weights):
        assert all(share <= weight for share, weight in zip(shares, weights))


def test_halves_round_up_for_discounts_and_tax():
    # 10 % of 1005 is 100.5 → 101; 12.5 % of 4 is 0.5 → 1; 8.875 % of 8000 is exactly 710
    assert totals.discount_for({"percent_off": 10}, 1005) == 101
    assert totals.figures(4, 0, 0, 12.5).tax == 1
    assert totals.figures(8000, 0, 0, 8.875).tax == 710
    assert totals.discount_for({"amount_off": 5000}, 1200) == 1200
