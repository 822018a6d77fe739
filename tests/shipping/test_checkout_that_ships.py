"""A purchase that ships: the customer gives an address on Stripe's page, picks a rate, enters a
code, Stripe adds tax; the order, its confirmation email and both order pages show the same
five figures Stripe charged, and the address Stripe collected."""
import pytest

from shop.money import format_money
from shop.orders.models import PAID
from tests.store_fixtures import ADDRESS


def figures_at_stripe(store, body) -> dict:
    session = store.standin.session(body["stripe_checkout_session_id"])
    details = session["total_details"]
    intent = store.standin.payment_intent(session["payment_intent"])
    return {"subtotal": session["amount_subtotal"], "shipping": details["amount_shipping"],
            "discount": details["amount_discount"], "tax": details["amount_tax"],
            "total": session["amount_total"], "charged": intent["amount_received"]}


def rows(figures: dict, code="WELCOME10", rate="Express") -> list[str]:
    """How the breakdown reads: label and amount, in the order every page and email lists them."""
    return [f"Subtotal", format_money(figures["subtotal"], "usd"),
            f"Discount ({code})", format_money(figures["discount"], "usd"),
            f"Shipping ({rate})", format_money(figures["shipping"], "usd"),
            "Tax", format_money(figures["tax"], "usd"),
            "Total charged", format_money(figures["total"], "usd")]


def in_order(text: str, parts: list[str]) -> bool:
    position = 0
    for part in parts:
        position = text.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return True


@pytest.mark.parametrize("store_config", [{"STRIPE_AUTOMATIC_TAX": True}])
def test_express_welcome10_and_tax_show_the_same_five_amounts_everywhere(store):
    # given the demo rates and code, tax computed by Stripe, and 2 bottles at $49.00
    store.demo()
    mag = store.product(4900)
    body = store.checkout((mag, 2))
    # (the checkout answers the items' subtotal: shipping, discount and tax are Stripe's to add)
    assert body["total"] == 9800
    # when the customer ships to Washington state, picks Express and enters welcome10 (any case)
    response = store.pay(body, rate="Express", code="welcome10")
    assert response.status_code == 200, response.text
    store.settle()
    # then Stripe charged items - 10% + Express + tax on both
    stripe = figures_at_stripe(store, body)
    assert (stripe["subtotal"], stripe["discount"], stripe["shipping"]) == (9800, 980, 1495)
    assert stripe["tax"] > 0 and stripe["total"] == stripe["charged"] == 9800 - 980 + 1495 + stripe["tax"]
    charged = {k: v for k, v in stripe.items() if k != "charged"}
    # and the order records exactly that, with the address as collected
    order = store.order_api(body)
    assert order["status"] == PAID
    assert order["amounts"] == charged and order["total"] == stripe["charged"]
    assert order["shipping_address"] == {"name": "Grace Hopper", **ADDRESS["address"]}
    # and the confirmation email (over SMTP), the customer's page and the admin's page show the
    # same five figures, labelled, in the same order, and where it goes
    text, html = store.confirmation(body)
    _, _, web = store.staff("fulfilment")
    admin = web.get(f"/admin/orders/{body['order_id']}")
    assert admin.status_code == 200
    for name, shown in {"text email": text, "html email": html, "customer page": store.customer_page(body),
                        "admin page": admin.get_data(as_text=True)}.items():
        assert in_order(shown, rows(charged)), name
        assert in_order(shown, ["Grace Hopper", "10 Navy Yard", "Apt 3", "Arlington, WA 98223", "US"]), name
    assert "-$9.80" in text and "−$9.80" in html
    # and the code counts one redemption
    from shop.promotions.services import find_code

    assert find_code("WELCOME10").times_redeemed == 1
    assert store.order(body).promotion_code == "WELCOME10" and store.order(body).shipping_rate_name == "Express"


def test_the_staff_api_shows_the_order_with_its_address_and_amounts_to_every_role(store):
    # given a paid order shipped by Standard, without code or tax
    store.demo()
    body = store.checkout((store.product(2000), 1))
    assert store.pay(body, rate="Standard").status_code == 200
    store.settle()
    # when any member of staff reads it through the staff API
    for role in ("admin", "support", "fulfilment"):
        _, headers, _ = store.staff(role)
        response = store.api.get(f"/api/v1/admin/orders/{body['order_id']}", headers=headers)
        # then it is the order, with what Stripe charged, never cached
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert response.get_json()["amounts"] == {"subtotal": 2000, "shipping": 595, "discount": 0, "tax": 0,
                                                  "total": 2595}
        assert response.get_json()["shipping_address"]["city"] == "Arlington"
    # and without a token, or for an unknown order, it is refused
    assert store.api.get(f"/api/v1/admin/orders/{body['order_id']}").status_code == 401
    assert store.api.get("/api/v1/admin/orders/999999", headers=headers).status_code == 404


def test_before_payment_there_is_no_address_and_no_charged_amounts(store):
    store.demo()
    body = store.checkout((store.product(2000), 1))
    order = store.order_api(body)
    assert order["shipping_address"] is None
    assert order["amounts"] == {"subtotal": None, "shipping": None, "discount": None, "tax": None, "total": None}
    assert order["total"] == 2000


def test_the_session_asks_for_address_phone_codes_and_tax_as_configured(store, stripe_standin):
    # given a shop shipping to the US and Canada, with tax on
    store.app.config.update(SHIPPING_COUNTRIES=("US", "CA"), STRIPE_AUTOMATIC_TAX=True)
    store.demo()
    body = store.checkout((store.product(2000, tax_code="txcd_10000000"), 1))
    # then Stripe's session collects an address there and a phone, takes codes, computes tax
    session = stripe_standin.session(body["stripe_checkout_session_id"])
    assert session["shipping_address_collection"] == {"allowed_countries": ["US", "CA"]}
    assert session["phone_number_collection"]["enabled"] is True
    assert session["allow_promotion_codes"] is True and session["automatic_tax"]["enabled"] is True
    assert store.offered(body) == {"Standard": 595, "Express": 1495}
    # and the line item carries the product's tax code, its price before tax
    price = stripe_standin.account.line_items[session["id"]][0]["price"]
    assert price["tax_behavior"] == "exclusive"
    assert stripe_standin.account.products[price["product"]]["tax_code"] == "txcd_10000000"


def test_a_country_the_store_does_not_ship_to_is_refused_on_stripes_page(store):
    store.demo()
    body = store.checkout((store.product(2000), 1))
    response = store.pay(body, address={"name": "Jean", "address": {
        "line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}})
    assert response.status_code == 400
    store.settle()
    assert store.order_api(body)["status"] == "pending_payment"
