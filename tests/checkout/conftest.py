"""Checkout tests run against the local Stripe stand-in, through the official SDK over HTTP."""
import pytest

from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_app, stripe_client


@pytest.fixture
def api(stripe_app):
    return stripe_app.test_client()


@pytest.fixture
def checkout(api):
    """POST /api/v1/checkout with sensible defaults."""

    def post(items, email="buyer@example.com", **extra):
        return api.post("/api/v1/checkout", json={"email": email, "items": items, **extra})

    return post


@pytest.fixture
def run_app_tasks(stripe_app):
    """`run_tasks` for the stand-in-wired app (its own TASKS_CAPTURE list)."""
    from shop.extensions import db

    def run() -> int:
        captured = stripe_app.config["TASKS_CAPTURE"]
        ran = 0
        while captured:
            task, args = captured.pop(0)
            with stripe_app.app_context():
                task.run(*args)
                db.session.remove()
            ran += 1
        return ran

    return run
