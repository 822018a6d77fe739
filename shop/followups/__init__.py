"""Titration follow-ups: the emails that walk a customer through the product's plan."""
