"""Staff API: GET /api/v1/admin/orders/<id> (any role); POST .../ship and .../deliver (roles
fulfilment or admin). Answers about an order are never cached (`Cache-Control: no-store`)."""
from flask import g

from shop.accounts.auth import staff_token_required
from shop.accounts.models import ROLE_FULFILMENT
from shop.api_utils import api_blueprint
from shop.fulfilment import services
from shop.fulfilment.schemas import DeliverSchema, ShipSchema
from shop.orders.access import no_store
from shop.orders.schemas import OrderSchema  # the same Order as GET /api/v1/orders/<id>
from shop.orders.services import order_for_staff

blp = api_blueprint("fulfilment_api", __name__, "/admin/orders", "Orders, shipping and delivery (staff)")
blp.after_request(no_store)


def _actor() -> str:
    return f"staff:{g.staff.email}"


@blp.route("/<int:order_id>")
@staff_token_required()
@blp.response(200, OrderSchema)
@blp.alt_response(404, description="No such order")
def get_order(order_id):
    """The order as the customer's API shows it, with the address and the amounts Stripe charged."""
    return order_for_staff(order_id)


@blp.route("/<int:order_id>/ship", methods=["POST"])
@staff_token_required(ROLE_FULFILMENT)
@blp.arguments(ShipSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(409, description="The order cannot be shipped from its status")
def ship(args, order_id):
    """Mark a paid order shipped; the customer is emailed the carrier and tracking number."""
    order = services.ship_order(order_id, carrier=args["carrier"].strip(),
                                tracking_number=args["tracking_number"].strip(), actor=_actor())
    return order


@blp.route("/<int:order_id>/deliver", methods=["POST"])
@staff_token_required(ROLE_FULFILMENT)
@blp.arguments(DeliverSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(409, description="The order cannot be delivered from its status")
@blp.alt_response(422, description="delivered_at is in the future, or malformed")
def deliver(args, order_id):
    """Mark the order delivered (default now) and schedule its titration follow-ups."""
    return services.deliver_order(order_id, delivered_at=args["delivered_at"], actor=_actor())
