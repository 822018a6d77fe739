"""Shipping rates through the official SDK: create, retrieve, list, archive, and refusals."""
import pytest
import stripe

from tests.stripe_standin import stripe_fields
from tests.stripe_standin.conftest import rate_data


def test_a_created_rate_is_shaped_like_stripes_and_can_be_retrieved(stripe_client):
    # when
    rate = stripe_client.v1.shipping_rates.create(rate_data(
        "Ground", 590, "usd", tax_behavior="exclusive", tax_code="txcd_92010001",
        metadata={"carrier": "ups"},
        delivery_estimate={"minimum": {"unit": "business_day", "value": 3},
                           "maximum": {"unit": "business_day", "value": 5}}))

    # then
    assert set(rate.to_dict()) == stripe_fields.SHIPPING_RATE
    assert rate.id.startswith("shr_") and rate.object == "shipping_rate"
    assert (rate.display_name, rate.type, rate.active) == ("Ground", "fixed_amount", True)
    assert rate.fixed_amount.to_dict() == {"amount": 590, "currency": "usd"}
    assert rate.delivery_estimate.minimum.to_dict() == {"unit": "business_day", "value": 3}
    assert (rate.tax_behavior, rate.tax_code) == ("exclusive", "txcd_92010001")
    found = stripe_client.v1.shipping_rates.retrieve(rate.id)
    assert found.to_dict() == rate.to_dict()


def test_rates_are_archived_not_deleted_and_listed_by_active(stripe_client):
    # given
    ground = stripe_client.v1.shipping_rates.create(rate_data("Ground"))
    express = stripe_client.v1.shipping_rates.create(rate_data("Express", 1500))

    # when
    archived = stripe_client.v1.shipping_rates.update(
        ground.id, {"active": False, "metadata": {"reason": "carrier gone"}})

    # then
    assert (archived.active, archived.metadata.to_dict()) == (False, {"reason": "carrier gone"})
    assert [r.id for r in stripe_client.v1.shipping_rates.list({"active": True}).data] == [express.id]
    assert [r.id for r in stripe_client.v1.shipping_rates.list({"active": False}).data] == [ground.id]
    assert [r.id for r in stripe_client.v1.shipping_rates.list().data] == [express.id, ground.id]


def test_a_rates_tax_behavior_is_set_once(stripe_client):
    rate = stripe_client.v1.shipping_rates.create(rate_data())

    assert stripe_client.v1.shipping_rates.update(
        rate.id, {"tax_behavior": "exclusive"}).tax_behavior == "exclusive"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.shipping_rates.update(rate.id, {"tax_behavior": "inclusive"})
    assert refused.value.param == "tax_behavior"


@pytest.mark.parametrize("params, param", [
    ({"type": "fixed_amount", "fixed_amount": {"amount": 500, "currency": "usd"}}, "display_name"),
    (rate_data(fixed_amount={"amount": -1, "currency": "usd"}), "fixed_amount[amount]"),
    (rate_data(fixed_amount={"amount": 500}), "fixed_amount[currency]"),
    (rate_data(type="per_weight"), "type"),
    (rate_data(tax_code="shipping"), "tax_code"),
    (rate_data(tax_behavior="sometimes"), "tax_behavior"),
    (rate_data(delivery_estimate={"minimum": {"unit": "fortnight", "value": 1}}),
     "delivery_estimate[minimum][unit]"),
    (rate_data(delivery_estimate={"minimum": {"unit": "day", "value": 0}}),
     "delivery_estimate[minimum][value]"),
    (rate_data(active=False), "active"),  # set by updating, not at creation
])
def test_stripe_refuses_what_it_would_refuse(stripe_client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.shipping_rates.create(params)

    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert stripe_client.v1.shipping_rates.list().data == []


def test_an_unknown_rate_is_a_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.shipping_rates.retrieve("shr_nope")

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
