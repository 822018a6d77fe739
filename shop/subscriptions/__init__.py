"""Subscribe & save: subscriptions whose renewals follow the bottle (docs/subscriptions.md)."""
