"""The proof of purchase a request carries, for `shop.reviews.buyers`."""
from flask import request

from shop.orders.access import granted_order_ids
from shop.reviews.buyers import BuyerProof


def buyer_proof() -> BuyerProof:
    """The order token sent as `X-Order-Token`, and the orders this browser opened from their
    signed email link (the order page links to the product's review form)."""
    return BuyerProof(order_token=request.headers.get("X-Order-Token") or None, order_ids=granted_order_ids())
