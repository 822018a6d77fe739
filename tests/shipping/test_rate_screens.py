"""The admin's shipping-rate screens: list, create, edit, deactivate; admins only."""
from shop.extensions import db
from shop.shipping.models import ShippingRate


def _rate(name):
    db.session.expire_all()
    return db.session.query(ShippingRate).filter_by(name=name).one()


def test_an_admin_creates_edits_and_deactivates_a_rate(store):
    _, _, web = store.staff("admin")
    # when an admin creates "Overnight" at 24.00, free from 200.00, 1-1 business day
    response = web.post("/admin/shipping-rates/new", data={
        "name": "Overnight", "amount": "24.00", "currency": "usd", "free_over": "200.00",
        "min_business_days": "1", "max_business_days": "1", "sort_order": "3", "active": "y"})
    assert response.status_code == 303
    rate = _rate("Overnight")
    assert (rate.amount, rate.free_over, rate.min_business_days, rate.active) == (2400, 20000, 1, True)
    # then the list shows it with its price and threshold
    listing = web.get("/admin/shipping-rates").get_data(as_text=True)
    assert "Overnight" in listing and "$24.00" in listing and "$200.00" in listing
    # and its edit form shows the amounts as typed
    form = web.get(f"/admin/shipping-rates/{rate.id}").get_data(as_text=True)
    assert 'value="24.00"' in form and 'value="200.00"' in form
    # when it is deactivated, checkouts no longer offer it
    assert web.post(f"/admin/shipping-rates/{rate.id}/active", data={"active": "0"}).status_code == 303
    assert _rate("Overnight").active is False
    assert "Overnight" not in store.offered(store.checkout((store.product(1000), 1)))


def test_bad_input_is_refused_field_by_field_and_saves_nothing(store):
    _, _, web = store.staff("admin")
    response = web.post("/admin/shipping-rates/new", data={
        "name": "", "amount": "5.555", "currency": "usd", "min_business_days": "5", "max_business_days": "2"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Required field missing" in page
    response = web.post("/admin/shipping-rates/new", data={
        "name": "Slow", "amount": "5.00", "currency": "usd", "min_business_days": "5", "max_business_days": "2"})
    assert response.status_code == 422 and "At least the minimum" in response.get_data(as_text=True)
    assert db.session.query(ShippingRate).count() == 0


def test_only_admins_may_open_the_rate_screens(store):
    for role in ("support", "fulfilment"):
        _, _, web = store.staff(role)
        assert web.get("/admin/shipping-rates").status_code == 403
        assert web.post("/admin/shipping-rates/new", data={"name": "X", "amount": "1"}).status_code == 403
