"""Fulfilment: staff mark orders shipped and delivered; delivery starts the follow-ups."""
