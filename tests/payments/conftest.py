"""Fixtures for webhook tests: an order waiting for payment, as checkout leaves it."""
import pytest
from sqlalchemy import func, select

from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.orders.models import PENDING_PAYMENT, Order
from shop.payments.models import StripeEvent


@pytest.fixture
def pending_order(make_product, make_order):
    """An order of 2 units (stock 10 → 8 reserved), with a Checkout Session and nothing paid."""

    def make(quantity=2, stock=10, price=3900):
        product = make_product(stock=stock, price=price)
        order, _ = make_order(product, quantity=quantity, status=PENDING_PAYMENT)
        order.stripe_payment_intent_id = None  # Stripe tells us these when the customer pays
        order.stripe_charge_id = None
        db.session.commit()
        return order, product

    return make


@pytest.fixture
def reload():
    """The order and product as the database has them now."""

    def fetch(obj):
        db.session.expire_all()
        return db.session.get(type(obj), obj.id)

    return fetch


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def emails(kind="order_confirmation") -> list[EmailMessage]:
    return list(db.session.scalars(select(EmailMessage).where(EmailMessage.kind == kind)))


def events_recorded() -> int:
    return count(StripeEvent)


def order_status(order: Order) -> str:
    db.session.expire_all()
    return db.session.get(Order, order.id).status
