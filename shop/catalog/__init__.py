"""The product catalogue: products, their ingredients, titration plans and disclaimers."""
