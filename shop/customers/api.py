"""GET /api/v1/account/orders: the signed-in customer's orders (cookie `customer_session`)."""
from shop.api_utils import api_blueprint
from shop.customers.account import orders_for_api
from shop.customers.schemas import AccountOrdersSchema
from shop.customers.sessions import signed_in_customer
from shop.orders.access import no_store

blp = api_blueprint("account_api", __name__, "/account", "The signed-in customer's account")
blp.after_request(no_store)


@blp.route("/orders")
@blp.response(200, AccountOrdersSchema)
@blp.alt_response(401, description="Not signed in: no `customer_session` cookie, or its session ended")
def account_orders():
    """Every order placed with the signed-in customer's address, guest orders included, newest first.

    The session is the `customer_session` cookie that opening an emailed sign-in link sets
    (`POST /account/login` with `email` sends the link). Each order is the `Order` of
    `GET /api/v1/orders/{order_id}`.
    """
    return {"items": orders_for_api(signed_in_customer())}
