"""The customer's order page, reached from the confirmation email's signed link."""
from flask import Blueprint, render_template
from sqlalchemy import select

from shop.errors import NotFound
from shop.extensions import db
from shop.orders.access import no_store, order_for_page
from shop.payments.models import Refund

bp = Blueprint("orders", __name__)
bp.after_request(no_store)

# Timeline entries a customer may read; staff notes, disputes and Stripe bookkeeping stay internal.
CUSTOMER_EVENT_KINDS = ("created", "status")
MAX_ID = 2**31 - 1


@bp.get("/orders/<int:order_id>")
def page(order_id):
    if order_id > MAX_ID:
        raise NotFound("Order not found")
    order = order_for_page(order_id)
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).all()
    timeline = [event for event in order.events if event.kind in CUSTOMER_EVENT_KINDS]
    return render_template("orders/page.html", order=order, refunds=refunds, timeline=timeline)
