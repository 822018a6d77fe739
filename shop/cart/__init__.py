"""The cart: products a visitor means to buy, kept in their (signed) session cookie."""
