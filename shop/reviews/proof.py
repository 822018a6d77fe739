"""The proof of purchase a request carries, for `shop.reviews.buyers`."""
from flask import request

from shop.orders.access import granted_order_ids, signed_in_email
from shop.reviews.buyers import BuyerProof


def buyer_proof() -> BuyerProof:
    """The order token sent as `X-Order-Token`, the orders this browser opened from their
    signed email link (the order page links to the product's review form), and the address of
    the customer account signed in (its sign-in link proved the address)."""
    return BuyerProof(order_token=request.headers.get("X-Order-Token") or None, order_ids=granted_order_ids(),
                      account_email=signed_in_email())
