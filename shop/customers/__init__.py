"""Customer accounts (sign in by an emailed link, every order of the address, email preferences)
and customer data requests (GDPR): export everything held about an email address, or erase it."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Tell the domains below who is signed in, and which Stripe Customer a signed-in checkout is
    for (orders, reviews and payments do not import this package); keep the address a signed-in
    checkout paid for."""
    from shop.customers.address import checkout_customer
    from shop.customers.openapi import document_sign_in
    from shop.extensions import api
    from shop.customers.sessions import current_customer_email
    from shop.orders.access import SIGNED_IN_EMAIL
    from shop.orders.checkout import CHECKOUT_CUSTOMER
    from shop.payments.signals import order_paid

    app.extensions[SIGNED_IN_EMAIL] = current_customer_email
    app.extensions[CHECKOUT_CUSTOMER] = checkout_customer
    order_paid.connect(_on_order_paid)  # once per process: blinker keeps one receiver per function
    document_sign_in(api.spec)


def _on_order_paid(order, session=None, **extra) -> None:
    from shop.customers.address import adopt_paid_address

    adopt_paid_address(order, session)
