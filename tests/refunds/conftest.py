"""Fixtures for refunds and cancellations outside claims: paid orders at the Stripe stand-in."""
import pytest

from shop.extensions import db
from shop.orders.models import PAID

from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_app, stripe_client, paid_at_stripe


@pytest.fixture
def app(stripe_app):
    """Every request of these tests goes to the app wired to the stand-in."""
    return stripe_app


@pytest.fixture
def paid_order(make_product, make_order, paid_at_stripe):
    """A factory: an order of `quantity` bottles at 4900 (stock 10), paid by card at the stand-in."""

    def make(status=PAID, quantity=1, **kwargs):
        product = make_product(slug=kwargs.pop("slug", None), price=4900, stock=10)
        order, token = make_order(product, status=status, quantity=quantity, **kwargs)
        paid_at_stripe(order)
        return order

    return make


@pytest.fixture
def settled(stripe_standin):
    """Wait until every webhook the stand-in has sent so far is delivered (or given up)."""

    def wait():
        stripe_standin.wait_for_deliveries(len(stripe_standin.deliveries()), timeout=10)

    return wait


@pytest.fixture
def fresh():
    def get(model, id_):
        db.session.expire_all()
        return db.session.get(model, id_)

    return get
