"""Cart and checkout pages. Every form is CSRF-protected; every POST answers 303 (PRG)."""
from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from shop.cart import services as cart
from shop.catalog.sections import register_section
from shop.errors import NotFound, ShopError
from shop.extensions import db
from shop.orders import limits
from shop.orders.access import grant_access, no_store, signed_in_email
from shop.orders.checkout import CheckoutLine, start_checkout
from shop.orders.models import Order
from shop.subscriptions.services import subscription_offer
from shop.urls import local_path

bp = Blueprint("cart", __name__)

# The order this browser last sent to Stripe: the success page empties the cart for it.
CHECKOUT_KEY = "checkout_order"

register_section("cart", "buy", "cart/_buy.html",
                 context=lambda product: {"max_quantity": cart.buyable(product.stock),
                                          "bundles": [b for b in product.bundles if b.bottles <= product.stock],
                                          "subscription": subscription_offer(product)})


@bp.get("/cart")
def show():
    # A signed-in customer's address by default: their checkout then shows their saved address.
    return render_template("cart/cart.html", cart=cart.summary(), max_quantity=cart.MAX_QUANTITY,
                           email=session.get("checkout_email") or signed_in_email() or "")


@bp.post("/cart/add")
def add():
    try:
        product = cart.add(request.form.get("slug", ""), request.form.get("quantity", 1, type=int),
                           request.form.get("bundle", type=int), subscribe=request.form.get("purchase") == "subscribe")
    except ShopError as exc:
        flash(exc.message, "error")
        return redirect(local_path(request.referrer, origin=request.host_url) or url_for("cart.show"), 303)
    flash(f"{product.name} is in your cart.", "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/update")
def update():
    try:
        cart.set_quantity(request.form.get("slug", ""), request.form.get("quantity", type=int))
    except ShopError as exc:
        flash(exc.message, "error")
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/remove")
def remove():
    cart.remove(request.form.get("slug", ""))
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/checkout")
@limits.per_ip
def checkout():
    """The same checkout as the API; the customer leaves for Stripe's page (303)."""
    email = (request.form.get("email") or "").strip()
    session["checkout_email"] = email[:254]
    lines = [CheckoutLine(slug, qty, bundle, subscribe) for slug, qty, bundle, subscribe in cart.checkout_lines()]
    if not lines:
        flash("Your cart is empty.", "error")
        return redirect(url_for("cart.show"), 303)
    try:
        _validate_email(email)
        started = start_checkout(email, lines, client_address=request.remote_addr)
    except ShopError as exc:
        flash(_readable(exc), "error")
        return redirect(url_for("cart.show"), 303)
    grant_access(started.order.id)
    session[CHECKOUT_KEY] = started.order.id
    return redirect(started.checkout_url, 303)


@bp.get("/checkout/success")
def checkout_success():
    """Back from Stripe. Shows the order; only Stripe's webhook marks it paid."""
    session_id = (request.args.get("session_id") or "")[:255]
    order = db.session.scalar(select(Order).where(Order.stripe_checkout_session_id == session_id)) if session_id else None
    if order is None:
        raise NotFound("We could not find that checkout")
    if session.get(CHECKOUT_KEY) == order.id:
        cart.clear()
        session.pop(CHECKOUT_KEY, None)
    has_access = order.id in session.get("order_access", [])
    return no_store(make_response(render_template("cart/success.html", order=order, has_access=has_access)))


@bp.get("/checkout/cancel")
def checkout_cancel():
    return render_template("cart/cancel.html", lines=cart.lines())


def _validate_email(email: str) -> None:
    from shop.orders.schemas import CheckoutSchema

    try:
        CheckoutSchema(only=("email",)).load({"email": email})
    except ValidationError as exc:
        raise ShopError("Please enter a valid email address.", code=422) from exc


def _readable(exc: ShopError) -> str:
    details = [m for messages in exc.errors.values() for m in messages]
    return f"{exc.message} ({'; '.join(details)})" if details else exc.message

