"""Factory fixtures: products, staff with tokens, orders in any state."""

__all__ = ["make_product", "mag_rr", "make_staff", "staff_headers", "make_order"]
from datetime import timedelta

import pytest

from shop.catalog.demo import DEMO_PRODUCTS, build_product
from shop.db import utcnow
from shop.extensions import db
from shop.orders import states
from shop.orders.models import DELIVERED, PAID, PENDING_PAYMENT, SHIPPED, Order, OrderItem
from shop.orders.services import new_order_token


@pytest.fixture
def make_product(app):
    counter = iter(range(1, 1_000_000))

    def make(slug=None, plan=None, ingredients=None, **fields):
        spec = dict(DEMO_PRODUCTS[0])
        spec.update(slug=slug or f"product-{next(counter)}", name=fields.pop("name", None) or spec["name"])
        if plan is not None:
            spec["plan"] = plan
        if ingredients is not None:
            spec["ingredients"] = ingredients
        spec.update(fields)
        product = build_product(spec)
        db.session.add(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def mag_rr(make_product):
    return make_product(slug="mag-rr", name="Mag R&R")


@pytest.fixture
def make_staff(app):
    from shop.accounts.services import create_staff, issue_token

    counter = iter(range(1, 1_000_000))

    def make(role="admin", email=None, password="correct horse battery"):
        staff = create_staff(email or f"{role}{next(counter)}@example.com", role, password=password)
        token = issue_token(staff)
        db.session.commit()
        return staff, token

    return make


@pytest.fixture
def staff_headers(make_staff):
    """Authorization headers for a fresh staff member of `role`."""

    def headers(role="admin"):
        _, token = make_staff(role)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def make_order(app):
    """An order of `product` for `email`, moved through the real state machine to `status`.

    Returns (order, token). `delivered_at` back-dates delivery (and payment before it).
    """

    def make(product, *, email="buyer@example.com", quantity=1, status=PAID, delivered_at=None):
        token, digest = new_order_token()
        order = Order(email=email, token_hash=digest, total=product.price * quantity, currency=product.currency)
        order.items.append(OrderItem(product_id=product.id, slug=product.slug, name=product.name,
                                     quantity=quantity, unit_price=product.price))
        product.stock -= quantity
        db.session.add(order)
        db.session.flush()
        states.record_event(order, actor="customer", kind="created")
        order.stripe_checkout_session_id = f"cs_test_{order.id:06d}"
        order.stripe_payment_intent_id = f"pi_test_{order.id:06d}"
        order.stripe_charge_id = f"ch_test_{order.id:06d}"
        if status != PENDING_PAYMENT:
            paid_at = (delivered_at - timedelta(days=5)) if delivered_at else utcnow()
            states.transition(order, PAID, actor="stripe", at=paid_at)
            # Charged its items alone, as the webhook records a session without shipping or tax.
            order.amount_subtotal, order.amount_shipping, order.amount_discount, order.amount_tax = (
                order.total, 0, 0, 0)
        if status in (SHIPPED, DELIVERED):
            states.transition(order, SHIPPED, actor="system",
                              at=(delivered_at - timedelta(days=2)) if delivered_at else utcnow())
        if status == DELIVERED:
            states.transition(order, DELIVERED, actor="system", at=delivered_at or utcnow())
        db.session.commit()
        return order, token

    return make
