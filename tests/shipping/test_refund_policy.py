"""What a guarantee refund may give back once Stripe charged shipping, a discount and tax:
never more than Stripe charged, and shipping only when GUARANTEE_REFUND_SHIPPING says so."""
import pytest


def delivered_purchase(store, *, rate="Express", code=None):
    """A paid order (2 x $49.00, the rate, the code), delivered through the staff API."""
    store.demo()
    body = store.checkout((store.product(4900, guarantee_days=60), 2))
    assert store.pay(body, rate=rate, code=code).status_code == 200
    store.settle()
    _, headers, _ = store.staff("fulfilment")
    assert store.api.post(f"/api/v1/admin/orders/{body['order_id']}/deliver", json={},
                          headers=headers).status_code == 200
    return body


def file_claim(store, body):
    response = store.api.post(f"/api/v1/orders/{body['order_id']}/claims", json={"reason": "It did not help"},
                              headers={"X-Order-Token": body["order_token"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("store_config", [{"STRIPE_AUTOMATIC_TAX": True}])
def test_by_default_the_guarantee_gives_back_everything_charged_shipping_included(store):
    # given 2 x $49.00 with WELCOME10, Express and tax: Stripe charged less than the items' price
    body = delivered_purchase(store, code="WELCOME10")
    charged = store.order_api(body)["amounts"]
    assert charged["total"] < 9800 + charged["shipping"]
    # when the customer claims and support approves everything refundable
    claim = file_claim(store, body)
    # then the claim asks for what Stripe charged, no more
    assert claim["requested_amount"] == charged["total"]
    _, headers, _ = store.staff("support")
    approved = store.api.post(f"/api/v1/admin/claims/{claim['id']}/approve", json={}, headers=headers)
    assert approved.status_code == 200, approved.get_json()
    store.settle()
    # and Stripe refunds exactly that; asking for a cent more is refused
    order = store.order_api(body)
    assert order["refunded_total"] == charged["total"] and order["status"] == "refunded"


@pytest.mark.parametrize("store_config", [{"GUARANTEE_REFUND_SHIPPING": False}])
def test_a_store_that_keeps_shipping_refunds_what_was_charged_less_shipping(store):
    # given a store whose guarantee does not refund shipping, and an Express order
    body = delivered_purchase(store)
    charged = store.order_api(body)["amounts"]
    assert charged["shipping"] == 1495
    # when the customer claims
    claim = file_claim(store, body)
    # then the claim asks for the charge less shipping, and more is refused
    assert claim["requested_amount"] == charged["total"] - 1495 == 9800
    _, headers, _ = store.staff("support")
    refused = store.api.post(f"/api/v1/admin/claims/{claim['id']}/approve", json={"amount": 9801}, headers=headers)
    assert refused.status_code == 422
    assert store.api.post(f"/api/v1/admin/claims/{claim['id']}/approve", json={}, headers=headers).status_code == 200
    store.settle()
    order = store.order_api(body)
    assert order["refunded_total"] == 9800 and order["status"] == "partially_refunded"


@pytest.mark.parametrize("store_config", [{"GUARANTEE_REFUND_SHIPPING": False}])
def test_free_shipping_leaves_nothing_to_keep_back(store):
    # given Standard, free from $75.00: 2 x $49.00 ships for nothing
    body = delivered_purchase(store, rate="Standard")
    assert store.order_api(body)["amounts"]["shipping"] == 0
    # then the claim asks for everything charged
    assert file_claim(store, body)["requested_amount"] == 9800
