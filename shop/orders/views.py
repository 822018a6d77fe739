"""The customer's order page, reached from the confirmation email's signed link, and the
shipping address correction on it."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from shop.errors import NotFound, ShopError
from shop.orders import address
from shop.orders.access import no_store, order_for_page
from shop.orders.models import ADDRESS_FIELDS
from shop.orders.services import customer_page

bp = Blueprint("orders", __name__)
bp.after_request(no_store)

MAX_ID = 2**31 - 1


@bp.app_template_global("address_panel")
def address_panel(order) -> dict:
    """For templates/orders/_address_panel.html: the address and whether it may be corrected."""
    return address.address_panel(order)


@bp.get("/orders/<int:order_id>")
def page(order_id):
    if order_id > MAX_ID:
        raise NotFound("Order not found")
    return render_template("orders/page.html", **customer_page(order_id))


@bp.post("/orders/<int:order_id>/address")
def correct_address(order_id):
    """Correct the shipping address from the order page (the session holds access to the order)."""
    if order_id > MAX_ID:
        raise NotFound("Order not found")
    order = order_for_page(order_id)
    try:
        address.correct_address(order.id, {name: request.form.get(name) for name in ADDRESS_FIELDS})
        flash("Your shipping address is updated; we will ship to it.", "success")
    except ShopError as exc:  # refused before anything changed
        problems = [f"{name.replace('_', ' ')}: {message}" for name, messages in exc.errors.items()
                    for message in messages] or [exc.message]
        flash("Your address was not changed. " + "; ".join(problems), "error")
    return redirect(url_for("orders.page", order_id=order.id) + "#address-correction", code=303)
