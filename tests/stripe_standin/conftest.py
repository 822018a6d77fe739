from tests.stripe_fixtures import *  # noqa: F401,F403  the stand-in fixtures


def line_item(name="Magnesium glycinate", unit_amount=2900, quantity=1, currency="eur"):
    return {"price_data": {"currency": currency, "unit_amount": unit_amount,
                           "product_data": {"name": name}}, "quantity": quantity}


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [line_item(quantity=2), line_item("Vitamin D3", 1500)],
        "success_url": "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart",
        "client_reference_id": "42",
        "customer_email": "ada@example.com",
        "metadata": {"order_id": "42"},
    }
    params.update(overrides)
    return params
