"""The promotion-code screens (support and admins): a code is created at Stripe as a coupon and a
promotion code, with its limits; bad input saves nothing; a code Stripe could not take yet is
created there at the next checkout."""
from datetime import UTC, datetime

from shop.extensions import db
from shop.promotions.models import PromotionCode


def _code(text):
    db.session.expire_all()
    return db.session.query(PromotionCode).filter_by(code=text).one()


def test_support_creates_a_code_at_stripe_with_its_limits(store, stripe_client):
    _, _, web = store.staff("support")
    # when support creates "spring-5" for $5.00 off, 100 uses, first orders only, until a date
    response = web.post("/admin/promotion-codes/new", data={
        "code": "spring-5", "amount_off": "5.00", "currency": "usd", "max_redemptions": "100",
        "first_order_only": "y", "expires_at": "2099-06-01T12:00"})
    assert response.status_code == 303
    # then it is kept upper-cased, and Stripe has the coupon and the code with those limits
    code = _code("SPRING-5")
    promo = stripe_client.v1.promotion_codes.retrieve(code.stripe_promotion_code_id)
    coupon = stripe_client.v1.coupons.retrieve(code.stripe_coupon_id)
    assert promo.code == "SPRING-5" and promo.active and promo.max_redemptions == 100
    assert promo.restrictions.first_time_transaction is True
    # (typed in the store's time, America/New_York: noon EDT is 16:00 UTC)
    assert promo.expires_at == int(datetime(2099, 6, 1, 16, 0, tzinfo=UTC).timestamp())
    assert (coupon.amount_off, coupon.currency, coupon.percent_off) == (500, "usd", None)
    listing = web.get("/admin/promotion-codes").get_data(as_text=True)
    assert "SPRING-5" in listing and "$5.00 off" in listing and code.stripe_promotion_code_id in listing


def test_bad_input_is_refused_and_nothing_reaches_stripe(store):
    _, _, web = store.staff("admin")
    for data, field_message in (
            ({"code": "BOTH", "percent_off": "10", "amount_off": "5", "currency": "usd"}, "either a percentage"),
            ({"code": "NONE"}, "either a percentage"),
            ({"code": "bad code!", "percent_off": "10"}, "letters, digits or dashes"),
            ({"code": "TOOMUCH", "percent_off": "150"}, "from 1 to 100"),
            ({"code": "NOCUR", "amount_off": "5"}, "currency of the amount off"),
            ({"code": "PAST", "percent_off": "5", "expires_at": "2001-01-01T00:00"}, "in the future")):
        response = web.post("/admin/promotion-codes/new", data=data)
        assert response.status_code == 422, data
        assert field_message in response.get_data(as_text=True).lower(), data
    assert db.session.query(PromotionCode).count() == 0
    assert store.standin.account.promotion_codes == {}


def test_a_code_stripe_could_not_take_is_created_at_the_next_checkout(store):
    # given seed-demo ran while Stripe was out of reach: WELCOME10 is only recorded here
    store.demo()
    assert _code("WELCOME10").stripe_promotion_code_id is None
    listing = store.staff("support")[2].get("/admin/promotion-codes").get_data(as_text=True)
    assert "created at the next checkout" in listing
    # when the first customer checks out
    body = store.checkout((store.product(3000), 1))
    # then the code exists at Stripe, and the customer can use it
    assert _code("WELCOME10").stripe_promotion_code_id in store.standin.account.promotion_codes
    assert store.pay(body, code="WELCOME10").status_code == 200
    store.settle()
    assert store.order_api(body)["amounts"]["discount"] == 300


def test_seed_demo_twice_adds_nothing(store):
    from shop.demo import seed_demo_checkout
    from shop.shipping.models import ShippingRate

    assert seed_demo_checkout() == 3
    assert seed_demo_checkout() == 0
    db.session.commit()
    rates = {r.name: (r.amount, r.free_over) for r in db.session.query(ShippingRate)}
    assert rates == {"Standard": (595, 7500), "Express": (1495, None)}
    assert _code("WELCOME10").percent_off == 10


def test_fulfilment_staff_may_not_manage_codes(store):
    _, _, web = store.staff("fulfilment")
    assert web.get("/admin/promotion-codes").status_code == 403
    assert web.post("/admin/promotion-codes/new", data={"code": "X1", "percent_off": "5"}).status_code == 403
