"""Orders: what was bought, by whom, and where it stands."""
