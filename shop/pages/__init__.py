"""The store's policy pages (privacy, terms, refunds, shipping, contact), edited by staff."""
