"""The demo store's checkout: its shipping rates and welcome code (API.md), for `seed-demo`.

Beside the catalogue's own demo (`shop/catalog/demo.py`), which knows nothing of shipping or
promotions.
"""
from collections.abc import Callable

from shop.promotions.services import ensure_code
from shop.shipping.services import ensure_rate


# The store's shipping rates and welcome code (API.md): Standard is free from 75.00 of items.
DEMO_SHIPPING_RATES = [
    {"name": "Standard", "amount": 595, "currency": "usd", "free_over": 7500,
     "min_business_days": 3, "max_business_days": 5, "sort_order": 0},
    {"name": "Express", "amount": 1495, "currency": "usd",
     "min_business_days": 1, "max_business_days": 2, "sort_order": 1},
]
DEMO_PROMOTION_CODES = [{"code": "WELCOME10", "percent_off": 10}]


def seed_demo_checkout(progress: Callable[[str], None] = lambda msg: None) -> int:
    """Add the demo shipping rates and promotion codes that are not there yet; returns how many.

    Codes are only recorded here: Stripe may not be reachable yet (in `make run` the stand-in
    starts after seeding). The first checkout creates them at Stripe (promotions.services).
    """
    added = 0
    for spec in DEMO_SHIPPING_RATES:
        rate, created = ensure_rate(**spec)
        added += created
        progress(f"Shipping rate {rate.name}: {'added' if created else 'already there'}")
    for spec in DEMO_PROMOTION_CODES:
        code, created = ensure_code(**spec)
        added += created
        where = "at Stripe" if code.at_stripe else "created at Stripe at the first checkout"
        progress(f"Promotion code {code.code}: {'added' if created else 'already there'} ({where})")
    return added
