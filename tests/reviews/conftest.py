"""Fixtures of the reviews tests: posting through the API, entries in any state."""
import pytest

from shop.db import utcnow
from shop.extensions import db as _db
from shop.reviews.models import KIND_REVIEW, PUBLISHED, Entry
from shop.reviews.services import body_digest


@pytest.fixture
def post_entry(client):
    """POST /api/v1/products/<slug>/reviews with a valid body, overridden by `fields`."""

    def post(slug="mag-rr", **fields):
        body = {"kind": "review", "name": "Dana", "email": "dana@example.com", "rating": 5,
                "body": "I sleep through the night now."}
        body.update(fields)
        body = {key: value for key, value in body.items() if value is not ...}
        return client.post(f"/api/v1/products/{slug}/reviews", json=body)

    return post


@pytest.fixture
def make_entry(app):
    """An entry stored directly (status, kind, parent, time), as moderation would leave it."""
    counter = iter(range(1, 1_000_000))

    def make(product, *, kind=KIND_REVIEW, status=PUBLISHED, rating=None, parent=None, body=None,
             name="Sam", email="sam@example.com", created_at=None, is_staff=False, flags=None, commit=True,
             website=None):
        body = body or f"Entry number {next(counter)}"
        if kind == KIND_REVIEW and parent is None and rating is None:
            rating = 4
        entry = Entry(
            product_id=product.id, parent_id=parent.id if parent else None,
            kind=parent.kind if parent else kind, status=status, rating=rating, name=name,
            email=None if is_staff else email, body=body, body_digest=body_digest(body),
            is_staff=is_staff, flags=flags or {}, website=website, created_at=created_at or utcnow(),
            published_at=utcnow() if status == PUBLISHED else None,
        )
        _db.session.add(entry)
        if status == PUBLISHED and entry.rating and parent is None:
            product.rating_count += 1
            product.rating_sum += entry.rating
        if commit:
            _db.session.commit()
        else:
            _db.session.flush()
        return entry

    return make
