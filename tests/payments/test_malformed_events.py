"""A signed event whose shape is not what its type promises: 200, logged, nothing changes.

Stripe retries anything but a 2xx for days, so such an event is acknowledged; but none of it
is acted on, and it is not recorded (a handler could not have read it).
"""
import copy
import logging

import pytest

from shop.orders.models import PAID, PENDING_PAYMENT
from shop.payments.models import Refund
from tests.payments.conftest import count, emails, events_recorded
from tests.payments.stripe_events import charge, checkout_session, deliver, event, refund


@pytest.fixture
def logged():
    """What the webhook module logs at WARNING and above, from here on."""
    logger = logging.getLogger("shop.payments.webhooks")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    # Alembic's fileConfig (the migration tests) disables the loggers that existed before it.
    was_disabled, logger.disabled = logger.disabled, False
    logger.addHandler(handler)
    yield lambda: [record.getMessage() for record in records]
    logger.removeHandler(handler)
    logger.disabled = was_disabled


def _ignored(response, logged):
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"received": True, "outcome": "malformed"}
    assert events_recorded() == 0
    assert any("malformed" in message for message in logged())


def _session_event(order, mutate):
    evt = event("checkout.session.completed", checkout_session(order))
    mutate(evt)
    return evt


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda e: e["data"].update(object="cs_test_123"), id="object is a string"),
    pytest.param(lambda e: e["data"].update(object=None), id="object is null"),
    pytest.param(lambda e: e.pop("id"), id="no event id"),
    pytest.param(lambda e: e.update(id=["evt_1"]), id="event id is a list"),
    pytest.param(lambda e: e["data"]["object"].update(amount_subtotal="7800"), id="text amount"),
    pytest.param(lambda e: e["data"]["object"].update(amount_subtotal=True), id="boolean amount"),
    pytest.param(lambda e: e["data"]["object"].update(id=None), id="session id null"),
    pytest.param(lambda e: e["data"]["object"].update(metadata={"order_id": None}), id="null metadata value"),
    pytest.param(lambda e: e["data"]["object"].update(payment_intent={"id": None}), id="null expanded id"),
    pytest.param(lambda e: e["data"]["object"].update(payment_intent={"id": "pi_1", "latest_charge": 7}),
                 id="number for a charge"),
    pytest.param(lambda e: e["data"]["object"].update(customer_email="a\ud800@example.com"), id="lone surrogate"),
    pytest.param(lambda e: e["data"]["object"]["total_details"].update(amount_tax="120"), id="text tax"),
    pytest.param(lambda e: e["data"]["object"]["total_details"].update(amount_shipping=-5), id="negative shipping"),
    pytest.param(lambda e: e["data"]["object"].update(total_details="0"), id="string for total_details"),
    pytest.param(lambda e: e["data"]["object"]["collected_information"].update(shipping_details="1 Main St"),
                 id="string for the address"),
    pytest.param(lambda e: e["data"]["object"]["collected_information"]["shipping_details"].update(name=7),
                 id="number for the name"),
    pytest.param(lambda e: e["data"]["object"].update(discounts=[{"promotion_code": 5}]), id="number for a code"),
    pytest.param(lambda e: e["data"]["object"].update(shipping_cost={"shipping_rate": ["shr_1"]}),
                 id="list for a rate"),
])
def test_a_malformed_completion_is_acknowledged_and_pays_nothing(client, pending_order, reload, logged, mutate):
    # given an order waiting for payment
    order, product = pending_order()
    # when a signed checkout.session.completed arrives in a shape it cannot have
    response = deliver(client, _session_event(order, mutate))
    # then it is acknowledged and logged, and the order is as it was
    _ignored(response, logged)
    order = reload(order)
    assert order.status == PENDING_PAYMENT and order.needs_attention is None
    assert emails() == [] and reload(product).stock == 8


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda obj: obj.update(amount="1200"), id="text amount"),
    pytest.param(lambda obj: obj.update(amount=12.5), id="fractional amount"),
    pytest.param(lambda obj: obj.update(amount=2**40), id="amount beyond any column"),
    pytest.param(lambda obj: obj.update(metadata={"refund_key": {"$ne": ""}}), id="object for a key"),
    pytest.param(lambda obj: obj.update(id=None), id="no refund id"),
])
def test_a_malformed_refund_changes_nothing(client, make_product, make_order, reload, logged, mutate):
    # given a paid order
    order, _ = make_order(make_product(price=3900))
    obj = refund(order, "re_malformed", 1200, payment_intent=order.stripe_payment_intent_id)
    mutate(obj)
    # when a refund event arrives in a shape it cannot have
    response = deliver(client, event("refund.created", obj))
    # then nothing is refunded
    _ignored(response, logged)
    assert count(Refund) == 0
    assert reload(order).status == PAID and reload(order).refunded_total == 0


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda obj: obj.update(refunds={"data": [None]}), id="null in the refund list"),
    pytest.param(lambda obj: obj.update(refunds="re_1"), id="string for the refund list"),
    pytest.param(lambda obj: obj["payment_method_details"].update(card={"brand": "visa\ud800", "last4": "4242"}),
                 id="lone surrogate in the card brand"),
    pytest.param(lambda obj: obj.update(payment_method_details=[]), id="list for an object"),
])
def test_a_malformed_charge_changes_nothing(client, make_product, make_order, reload, logged, mutate):
    order, _ = make_order(make_product(price=3900))
    obj = charge(order, payment_intent=order.stripe_payment_intent_id)
    mutate(obj)
    response = deliver(client, event("charge.refunded", obj))
    _ignored(response, logged)
    assert reload(order).card_brand is None and count(Refund) == 0


def test_an_event_of_a_type_the_shop_ignores_needs_only_an_envelope(client):
    # the control case: an unhandled type is recorded and ignored, whatever its object holds
    response = deliver(client, event("customer.created", {"object": "customer", "id": 7, "email": None}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    assert events_recorded() == 1


def test_a_well_formed_completion_still_pays(client, pending_order, reload):
    order, _ = pending_order()
    evt = event("checkout.session.completed", checkout_session(order))
    response = deliver(client, copy.deepcopy(evt))
    assert response.get_json()["outcome"] == "paid" and reload(order).status == PAID
