"""`flask --app shop promotions sync`: codes recorded while Stripe was out of reach reach it now."""
from shop.extensions import db
from shop.promotions.services import ensure_code, find_code


def test_sync_creates_the_codes_stripe_does_not_have_once(store):
    # given WELCOME10 recorded by seed-demo, not yet at Stripe
    ensure_code("WELCOME10", percent_off=10)
    db.session.commit()
    runner = store.app.test_cli_runner()
    # when the operator syncs, twice
    first = runner.invoke(args=["promotions", "sync"])
    second = runner.invoke(args=["promotions", "sync"])
    # then Stripe has it once, and the second run had nothing to do
    assert first.exit_code == 0 and "1 created at Stripe, 0 not" in first.output
    assert second.exit_code == 0 and "0 created at Stripe, 0 not" in second.output
    db.session.expire_all()
    promo_id = find_code("WELCOME10").stripe_promotion_code_id
    assert store.standin.account.promotion_codes[promo_id]["code"] == "WELCOME10"
    assert len(store.standin.account.promotion_codes) == 1
    # and after forgetting the ids (a reset stand-in), it is linked again, not duplicated
    again = runner.invoke(args=["promotions", "sync", "--forget-stripe-ids"])
    assert again.exit_code == 0 and "Forgot the Stripe ids of 1" in again.output
    db.session.expire_all()
    assert find_code("WELCOME10").stripe_promotion_code_id in store.standin.account.promotion_codes


def test_a_code_stripe_refuses_keeps_the_reason_for_staff(store):
    # given a code whose name Stripe already has (made in Stripe's dashboard)
    import stripe

    from tests.stripe_fixtures import STANDIN_API_KEY

    client = stripe.StripeClient(STANDIN_API_KEY, base_addresses={"api": store.standin.url})
    made = client.v1.coupons.create({"percent_off": 5, "duration": "once"})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": made.id}, "code": "TAKEN"})
    ensure_code("TAKEN", percent_off=10)
    db.session.commit()
    # when the shop pushes its own
    result = store.app.test_cli_runner().invoke(args=["promotions", "sync"])
    # then Stripe's refusal is kept on the code, and it is not asked again on every checkout
    assert result.exit_code == 0 and "0 created at Stripe, 1 not" in result.output
    db.session.expire_all()
    assert "already exists" in find_code("TAKEN").stripe_error
    from shop.promotions.services import pending_codes

    assert pending_codes() == []
