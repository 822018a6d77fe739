"""The store's policy pages (privacy, terms, refunds, shipping, contact), edited by staff, and
what search engines read about the store: the sitemap and robots.txt."""
