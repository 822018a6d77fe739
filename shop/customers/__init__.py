"""Customer accounts (sign in by an emailed link, every order of the address, email preferences)
and customer data requests (GDPR): export everything held about an email address, or erase it."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Tell the domains below who is signed in (orders and reviews do not import this package)."""
    from shop.customers.sessions import current_customer_email
    from shop.orders.access import SIGNED_IN_EMAIL

    app.extensions[SIGNED_IN_EMAIL] = current_customer_email
