"""Retention fixtures: rows of each kept table, back-dated; staff signed in to the admin."""
from datetime import timedelta

import pytest

from shop.db import utcnow
from shop.emails.models import EmailMessage
from shop.extensions import db
from shop.followups.models import FollowUp
from shop.payments.models import StripeEvent
from tests.admin.conftest import sign_in, staff_client, web  # noqa: F401  the admin's own fixtures


def days_ago(days: float):
    return utcnow() - timedelta(days=days)


@pytest.fixture
def followup(make_product, make_order):
    """A follow-up of a delivered order in `status`, last changed `changed_days_ago` days ago."""
    product = make_product()
    order, _ = make_order(product, delivered_at=days_ago(400), status="delivered")
    steps = iter(range(1000))

    def make(status, changed_days_ago):
        changed = days_ago(changed_days_ago)
        row = FollowUp(order_id=order.id, product_id=product.id, step_day=next(steps), capsules=1,
                       starts_on=changed.date(), due_at=changed, status=status,
                       sent_at=changed if status == "sent" else None, updated_at=changed, created_at=changed)
        db.session.add(row)
        db.session.commit()
        return row.id

    return make


@pytest.fixture
def email():
    """An email to `to` in `status`, sent (when it was) `sent_days_ago` days ago."""

    def make(status, sent_days_ago, to="gina@example.com", order_id=None):
        when = days_ago(sent_days_ago)
        message = EmailMessage(to=to, kind="order_shipped", subject="Your order is on its way",
                               body_text="Hi Gina, tracking T-1", body_html="<p>Hi Gina, tracking T-1</p>",
                               status=status, attempts=1, created_at=when, order_id=order_id,
                               sent_at=when if status == "sent" else None)
        db.session.add(message)
        db.session.commit()
        return message.id

    return make


@pytest.fixture
def stripe_event():
    """A webhook event row, received `received_days_ago` days ago."""

    def make(received_days_ago, event_id=None):
        when = days_ago(received_days_ago)
        row = StripeEvent(event_id=event_id or f"evt_{received_days_ago}_{utcnow().timestamp()}",
                          type="charge.succeeded", received_at=when, stripe_created=when, outcome="ignored")
        db.session.add(row)
        db.session.commit()
        return row.id

    return make
