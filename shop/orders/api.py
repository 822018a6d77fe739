"""POST /api/v1/checkout and GET /api/v1/orders/<id> (read with the order's token)."""
from flask import request

from shop.api_utils import api_blueprint
from shop.errors import NotFound
from shop.orders import limits
from shop.orders.access import no_store
from shop.orders.checkout import CheckoutLine, start_checkout
from shop.orders.schemas import CheckoutResultSchema, CheckoutSchema, OrderSchema
from shop.orders.services import order_for_customer

checkout_blp = api_blueprint("checkout_api", __name__, "/checkout", "Start paying for products")
MAX_ID = 2**31 - 1  # larger ids cannot exist (and would overflow the column type)

orders_blp = api_blueprint("orders_api", __name__, "/orders", "A customer's order, by its token")
checkout_blp.after_request(no_store)
orders_blp.after_request(no_store)


@checkout_blp.route("", methods=["POST"])
@limits.per_ip
@checkout_blp.arguments(CheckoutSchema)
@checkout_blp.response(201, CheckoutResultSchema)
@checkout_blp.alt_response(409, description="Stock cannot cover the order; nothing was reserved")
@checkout_blp.alt_response(429, description="Too many checkouts from this address (CHECKOUT_RATE_LIMIT), or too "
                           "many units waiting for payment (CHECKOUT_MAX_UNPAID_UNITS); nothing was reserved")
@checkout_blp.alt_response(502, description="Stripe failed; the order was cancelled, nothing held")
@checkout_blp.alt_response(503, description="Stripe could not be reached; the order was cancelled")
def create_checkout(args):
    """Reserve the stock, create the order (`pending_payment`) and its Stripe Checkout Session.

    Send the customer to `checkout_url`. The order becomes `paid` only when Stripe's webhook
    says so. Keep `order_token`: it is the only way to read the order (`X-Order-Token`).
    A slug listed twice counts as one line (subscribed when any of its lines says `subscribe`).
    A `subscribe` line (one per checkout, a product with `subscription_discount_percent`) makes
    it a subscription checkout: that product at its discounted price, renewed at Stripe when the
    bottle runs out; other lines are bought once on the same first invoice. Subscription
    checkouts ship free and take no promotion code. A line `{slug, bundle: N}` buys the product's bundle
    of N bottles at the bundle's price (`quantity` then counts bundles, default 1; stock, the
    follow-up plan and the reorder reminder count N bottles per bundle); 422 when the product
    offers no bundle of N. `success_url` and `cancel_url`, when given, must be
    addresses on the shop's own origin (PUBLIC_URL's scheme, host and port).
    """
    started = start_checkout(
        args["email"],
        [CheckoutLine(item["slug"], item["quantity"] or 1, bundle=item["bundle"], subscribe=item["subscribe"])
         for item in args["items"]],
        success_url=args["success_url"],
        cancel_url=args["cancel_url"],
        client_address=request.remote_addr,
    )
    order = started.order
    return {
        "order_id": order.id,
        "order_token": started.order_token,
        "status": order.status,
        "total": order.total,
        "currency": order.currency,
        "checkout_url": started.checkout_url,
        "stripe_checkout_session_id": order.stripe_checkout_session_id,
    }


@orders_blp.route("/<int:order_id>")
@orders_blp.response(200, OrderSchema)
@orders_blp.alt_response(404, description="Unknown order, or a missing or wrong X-Order-Token")
def get_order(order_id):
    """The order, its follow-up schedule and guarantee claims; needs header `X-Order-Token`."""
    if order_id > MAX_ID:
        raise NotFound("Order not found")
    return order_for_customer(order_id, request.headers.get("X-Order-Token"))
