"""The customer's order page, reached from the confirmation email's signed link."""
from flask import Blueprint, render_template

from shop.errors import NotFound
from shop.orders.access import no_store, order_for_page
from shop.orders.services import customer_page

bp = Blueprint("orders", __name__)
bp.after_request(no_store)

MAX_ID = 2**31 - 1


@bp.get("/orders/<int:order_id>")
def page(order_id):
    if order_id > MAX_ID:
        raise NotFound("Order not found")
    order = order_for_page(order_id)
    return render_template("orders/page.html", order=order, **customer_page(order))
