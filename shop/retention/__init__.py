"""Retention: what a store stops keeping hot once it has served (see `services`)."""
