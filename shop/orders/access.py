"""How a customer reaches their order page: a signed link from an email, then the session;
or their account, signed in with the address that placed the order.

The link carries a signature over the order id (itsdangerous), not the order token itself;
opening it grants this browser session access to that order, so forms on the page (a claim,
say) need no token in their URL. A customer signed in to their account may open every order
placed with its address, letter case aside. Who is signed in is for `shop.customers` to say
(it sits above orders, which does not import it): it installs `signed_in_email` at start-up.
"""
from flask import current_app, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shop.errors import NotFound
from shop.extensions import db
from shop.orders.models import Order

LINK_MAX_AGE = 400 * 24 * 3600  # longer than any guarantee window
_SESSION_KEY = "order_access"
SIGNED_IN_EMAIL = "shop.signed_in_email"  # app.extensions: the request's signed-in customer's address


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="order-page")


def order_link_token(order_id: int) -> str:
    return _serializer().dumps(order_id)


def order_page_url(order: Order, external: bool = True) -> str:
    """The signed link to the order page, for emails and the checkout success page."""
    if external:
        path = url_for("orders.page", order_id=order.id, t=order_link_token(order.id))
        return current_app.config["PUBLIC_URL"] + path
    return url_for("orders.page", order_id=order.id, t=order_link_token(order.id))


def no_store(response):
    """Answers about an order (its token, address, payments) are never kept in any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def grant_access(order_id: int) -> None:
    granted = [i for i in session.get(_SESSION_KEY, []) if i != order_id]
    session[_SESSION_KEY] = (granted + [order_id])[-20:]


def granted_order_ids() -> tuple[int, ...]:
    """The orders this browser session opened through their signed link."""
    return tuple(i for i in session.get(_SESSION_KEY, []) if isinstance(i, int))


def order_for_page(order_id: int) -> Order:
    """The order if this request may see it (signed `t` link, an earlier grant, or the signed-in
    customer's address placed it), else NotFound."""
    return page_access(order_id, db.session.get(Order, order_id))


def page_access(order_id: int, order: Order | None) -> Order:
    """`order` (order `order_id` as the caller loaded it, None when there is none) if this request
    may see it, else NotFound; the order page loads the order with its parts, then asks this."""
    signed = request.args.get("t")
    if signed:
        try:
            linked_id = _serializer().loads(signed, max_age=LINK_MAX_AGE)
        except BadSignature:
            linked_id = None
        if linked_id == order_id:
            grant_access(order_id)
    granted = order_id in session.get(_SESSION_KEY, [])
    if order is None or not (granted or _placed_by_signed_in_customer(order)):
        raise NotFound("Order not found")
    return order


def _placed_by_signed_in_customer(order: Order) -> bool:
    email = signed_in_email()
    return email is not None and order.email.lower() == email


def signed_in_email() -> str | None:
    """The address (lower-cased) that this request's signed-in customer account proved, or None."""
    provider = current_app.extensions.get(SIGNED_IN_EMAIL)
    return provider() if provider is not None else None
