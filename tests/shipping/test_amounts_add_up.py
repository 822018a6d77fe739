"""Property: whatever the cart, rate, code and address, the order records figures that add up
to exactly what Stripe charged (subtotal - discount + shipping + tax == total == charged)."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.store_fixtures import ADDRESS

PRICES = (1999, 2500, 7499)
RATES = {"Standard": (595, 7500), "Express": (1495, None), "Overnight": (2999, 20000)}
CODES = {"WELCOME10": {"percent_off": 10}, "TAKE7": {"amount_off": 700, "currency": "usd"},
         "HALF": {"percent_off": 50}, "SMALL-1": {"amount_off": 1, "currency": "usd"}}
STATES = ("WA", "CA", "NY", "IL", "OR")  # taxed at different rates by Stripe (OR: none)


@pytest.fixture
def priced_store(store):
    products = [store.product(price) for price in PRICES]
    for position, (name, (amount, free_over)) in enumerate(RATES.items()):
        store.rate(name, amount, free_over=free_over, sort_order=position)
    for code, discount in CODES.items():
        store.code(code, **discount)
    return store, products


buyers = itertools.count(1)


@pytest.mark.parametrize("store_config", [{"STRIPE_AUTOMATIC_TAX": True}])
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cart=st.dictionaries(st.integers(0, len(PRICES) - 1), st.integers(1, 4), min_size=1, max_size=3),
       rate=st.sampled_from(sorted(RATES)), code=st.sampled_from([None, *sorted(CODES)]),
       state=st.sampled_from(STATES))
def test_stored_amounts_add_up_to_what_stripe_charged(priced_store, cart, rate, code, state):
    store, products = priced_store
    # given a cart, and a customer choosing a rate, maybe a code, shipping to some state
    body = store.checkout(*[(products[index], quantity) for index, quantity in cart.items()],
                          email=f"buyer{next(buyers)}@example.com")
    address = {**ADDRESS, "address": {**ADDRESS["address"], "state": state}}
    response = store.pay(body, rate=rate, code=code, address=address)
    assert response.status_code == 200, response.text
    store.settle()
    # then what the order records adds up, to the cent, to what Stripe took from the card
    session = store.standin.session(body["stripe_checkout_session_id"])
    charged = store.standin.payment_intent(session["payment_intent"])["amount_received"]
    order = store.order_api(body)
    a = order["amounts"]
    assert a["subtotal"] - a["discount"] + a["shipping"] + a["tax"] == a["total"] == order["total"] == charged
    # and the parts are what the shop offered: its prices, its rate (free from its threshold)
    subtotal = sum(PRICES[index] * quantity for index, quantity in cart.items())
    amount, free_over = RATES[rate]
    assert a["subtotal"] == subtotal
    assert a["shipping"] == (0 if free_over is not None and subtotal >= free_over else amount)
    assert (a["discount"] > 0) == (code is not None) and a["discount"] <= subtotal
    assert store.order(body).shipping_rate_name == rate
