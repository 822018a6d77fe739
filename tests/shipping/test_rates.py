"""Which shipping rates a checkout offers, and for how much: free from the threshold, at most
five, only active ones in the order's currency, as the admin set them."""
import pytest

from shop.shipping.services import MAX_OFFERED


@pytest.mark.parametrize("price, quantity, standard", [
    (7499, 1, 595),  # one cent short of the threshold: Standard costs its price
    (2500, 3, 0),  # exactly 75.00 of items: Standard is free
    (7501, 1, 0),
])
def test_standard_is_free_from_75_dollars_of_items(store, price, quantity, standard):
    # given Standard 5.95, free from 75.00, and Express 14.95
    store.demo()
    # when a customer checks out items worth price x quantity
    body = store.checkout((store.product(price), quantity))
    # then Stripe's page offers Standard at its price or free, Express at its price
    assert store.offered(body) == {"Standard": standard, "Express": 1495}
    # and paying with Standard charges exactly that
    assert store.pay(body, rate="Standard").status_code == 200
    store.settle()
    amounts = store.order_api(body)["amounts"]
    assert amounts["shipping"] == standard and amounts["total"] == price * quantity + standard


def test_only_active_rates_in_the_orders_currency_at_most_five_by_position(store):
    for index in range(MAX_OFFERED + 1):
        store.rate(f"Rate {index}", 100 * (index + 1), sort_order=MAX_OFFERED - index)
    store.rate("Euro post", 300, currency="eur")
    retired = store.rate("Retired", 50, sort_order=-5)
    from shop.shipping.services import set_active
    from shop.extensions import db

    set_active(retired, False)
    db.session.commit()
    body = store.checkout((store.product(1000), 1))
    # lowest position first: Rate 5 (position 0) ... Rate 1 (position 4); Rate 0 is the sixth
    assert list(store.offered(body)) == ["Rate 5", "Rate 4", "Rate 3", "Rate 2", "Rate 1"]


def test_without_rates_the_session_offers_no_shipping_choice(store, stripe_standin):
    body = store.checkout((store.product(1000), 1))
    session = stripe_standin.session(body["stripe_checkout_session_id"])
    assert session["shipping_options"] == [] and session["shipping_address_collection"]
    assert store.pay(body).status_code == 200
    store.settle()
    assert store.order_api(body)["amounts"]["shipping"] == 0


def test_a_rate_the_admin_changes_applies_to_the_next_checkout(store):
    # given Express at 14.95
    store.demo()
    _, _, web = store.staff("admin")
    express_id = _rate_ids()["Express"]
    # when an admin makes it 12.50 with a delivery estimate of 1-3 days
    response = web.post(f"/admin/shipping-rates/{express_id}", data={
        "name": "Express", "amount": "12.50", "currency": "usd", "min_business_days": "1",
        "max_business_days": "3", "sort_order": "1", "active": "y"})
    assert response.status_code == 303
    # then the next checkout offers it at 12.50, with that estimate
    body = store.checkout((store.product(1000), 1))
    assert store.offered(body)["Express"] == 1250
    rate = store.standin.account.shipping_rates[store.rate_id(body, "Express")]
    assert rate["delivery_estimate"]["minimum"] == {"unit": "business_day", "value": 1}
    assert rate["delivery_estimate"]["maximum"] == {"unit": "business_day", "value": 3}


def _rate_ids() -> dict:
    from shop.extensions import db
    from shop.shipping.services import list_rates

    ids = {rate.name: rate.id for rate in list_rates()}
    db.session.commit()  # end this read: the admin's web app changes them in its own session
    return ids
