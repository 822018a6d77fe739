"""The saved shipping address, and the Stripe Customer that shows it on Stripe Checkout.

A signed-in customer's checkout (the order placed with the account's own address) is made for
their Stripe Customer, created at the first such checkout with the email and the saved address,
its id kept on the account. Checkout then shows the address the Customer has, and with
`customer_update[shipping]=auto` writes the one the customer confirms back onto it; when that
order is paid (`payments.signals.order_paid`), the address it ships to becomes the saved one.
A guest checkout never touches an account: anyone may type any email, and the saved address
must come only from its owner, signed in.

The customer may also type the address on the account page (checked as the order page checks
a correction); it reaches Stripe with their next checkout. Services flush; the checkout commits.
"""
import hashlib
import json

from flask import has_request_context
from sqlalchemy import select

from shop.customers.models import Customer
from shop.customers.sessions import current_customer
from shop.db import as_utc
from shop.errors import Unprocessable
from shop.extensions import db
from shop.orders.address import checked_address
from shop.orders.models import ADDRESS_FIELDS, Order
from shop.payments import stripe_gateway

PHONE_MAX_LENGTH = 64


def saved_address(customer: Customer) -> dict | None:
    """{name, line1, line2, city, state, postal_code, country, phone}, or None before one is saved."""
    fields = {name: getattr(customer, f"shipping_{name}") for name in (*ADDRESS_FIELDS, "phone")}
    return fields if any(fields.values()) else None


def save_address(customer: Customer, submitted: dict) -> dict:
    """Replace the saved address with `submitted` (the order page's rules: 422 naming the part
    that is missing or malformed); the phone is optional. Stripe gets it with the next checkout."""
    address = checked_address(submitted)
    phone = _phone(submitted.get("phone"))
    for name, value in {**address, "phone": phone}.items():
        setattr(customer, f"shipping_{name}", value)
    if customer.stripe_customer_id is not None:
        customer.stripe_shipping_outdated = True
    db.session.flush()
    return saved_address(customer)


def forget_address(customer: Customer) -> bool:
    """Remove the saved address; whether there was one. Stripe's Customer loses it with the next
    checkout, as a changed address reaches it (Checkout then asks for one)."""
    if saved_address(customer) is None:
        return False
    for name in (*ADDRESS_FIELDS, "phone"):
        setattr(customer, f"shipping_{name}", None)
    if customer.stripe_customer_id is not None:
        customer.stripe_shipping_outdated = True
    db.session.flush()
    return True


def _phone(value) -> str | None:
    phone = value.strip() if isinstance(value, str) else ""
    if not phone:
        return None
    if len(phone) > PHONE_MAX_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in phone):
        raise Unprocessable(errors={"phone": [f"At most {PHONE_MAX_LENGTH} characters, no control characters"]})
    return phone


def checkout_customer(email: str) -> str | None:
    """For the checkout (`orders.checkout.CHECKOUT_CUSTOMER`): the Stripe Customer to make an
    order placed with `email` for, when the account signed in on this request has that address;
    None for a guest. Creates it at Stripe the first time, and sends a changed saved address.
    The caller commits what this flushes (PaymentProviderError when Stripe fails)."""
    customer = current_customer() if has_request_context() else None
    if customer is None or customer.email != (email or "").strip().lower():
        return None
    if customer.stripe_customer_id is None:
        created = stripe_gateway.create_customer(
            {"email": customer.email, **_stripe_shipping(customer), "metadata": {"customer_id": str(customer.id)}},
            idempotency_key=f"customer-{customer.id}-{as_utc(customer.created_at):%Y%m%d%H%M%S%f}")
        customer.stripe_customer_id = created["id"]
    elif customer.stripe_shipping_outdated:
        shipping = _stripe_shipping(customer)
        digest = hashlib.sha256(json.dumps(shipping, sort_keys=True).encode()).hexdigest()[:32]
        stripe_gateway.update_customer(customer.stripe_customer_id, shipping or {"shipping": ""},
                                       idempotency_key=f"customer-{customer.id}-shipping-{digest}")
    customer.stripe_shipping_outdated = False
    db.session.flush()
    return customer.stripe_customer_id


def _stripe_shipping(customer: Customer) -> dict:
    """`{"shipping": {...}}` in Stripe's shape for the saved address, or {} when there is none."""
    saved = saved_address(customer)
    if saved is None:
        return {}
    shipping = {"name": saved["name"],
                "address": {name: saved[name] or "" for name in ADDRESS_FIELDS if name != "name"}}
    if saved["phone"]:
        shipping["phone"] = saved["phone"]
    return {"shipping": shipping}


def adopt_paid_address(order: Order, session: dict | None) -> bool:
    """The address a signed-in checkout shipped to becomes the account's saved one (Stripe has
    it on the Customer already: `customer_update[shipping]=auto`). Runs when the order is paid,
    in the webhook's transaction; whether it was adopted."""
    stripe_id = (session or {}).get("customer")
    stripe_id = stripe_id.get("id") if isinstance(stripe_id, dict) else stripe_id
    if not isinstance(stripe_id, str) or not stripe_id or order.shipping_address is None:
        return False
    customer = db.session.scalar(select(Customer).where(Customer.stripe_customer_id == stripe_id))
    if customer is None or customer.email != order.email.lower():
        return False
    for name in (*ADDRESS_FIELDS, "phone"):
        setattr(customer, f"shipping_{name}", getattr(order, f"shipping_{name}"))
    customer.stripe_shipping_outdated = False
    return True
