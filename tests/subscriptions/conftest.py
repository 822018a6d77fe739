"""Subscription tests run against the local Stripe stand-in, through the official SDK over HTTP."""
from tests.stripe_fixtures import *  # noqa: F401,F403  stripe_standin, stripe_app, stripe_client
