"""The product catalogue: products, their ingredients, titration plans and disclaimers."""

# The cache's session listeners must be in place wherever catalogue rows can change (web,
# worker, commands), so they are registered with the package.
from shop.catalog import cache  # noqa: E402,F401
