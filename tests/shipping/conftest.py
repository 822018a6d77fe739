"""Fixtures: the store wired to the Stripe stand-in and SMTP (tests/store_fixtures.py)."""
from tests.store_fixtures import *  # noqa: F401,F403
