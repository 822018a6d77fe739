"""Staff API: refund an order outside any claim, cancel a paid order before it ships.

POST /api/v1/admin/orders/<id>/refund and /cancel (roles support or admin). Both refund through
Stripe with an idempotency key (`shop.payments.staff_refunds`); a request that carries an
`Idempotency-Key` header and is repeated refunds once.
"""
from flask import g, request

from shop.accounts.auth import staff_token_required
from shop.accounts.models import ROLE_SUPPORT
from shop.api_utils import api_blueprint
from shop.errors import Unprocessable
from shop.orders.access import no_store
from shop.orders.schemas import OrderSchema  # the same Order as GET /api/v1/orders/<id>
from shop.payments import staff_refunds
from shop.payments.schemas import CancelOrderSchema, StaffRefundSchema

blp = api_blueprint("staff_refunds_api", __name__, "/admin/orders", "Refunds and cancellations (staff)")
blp.after_request(no_store)

IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Optional. The same key again answers the order as it stands and refunds nothing more "
                   "(a refund Stripe never answered is sent again, with the same Stripe idempotency key).",
}


def _request_key() -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > staff_refunds.REQUEST_KEY_MAX:
        raise Unprocessable(errors={"Idempotency-Key": [f"At most {staff_refunds.REQUEST_KEY_MAX} characters"]})
    return key or None


@blp.route("/<int:order_id>/refund", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(StaffRefundSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(404, description="Unknown order")
@blp.alt_response(409, description="The order was never paid, or the Idempotency-Key was used for another amount")
@blp.alt_response(422, description="No reason, an amount above what is still refundable, or nothing left")
@blp.alt_response(402, description="Stripe refused the refund (recorded on the order; its message is in `message`)")
@blp.alt_response(202, schema=OrderSchema, description="Stripe did not answer: the refund may have been made; it "
                  "stays pending (holding its amount), the order is flagged, and repeating the request (same "
                  "Idempotency-Key) sends it again")
def refund(args, order_id):
    """Refund a paid order outside any claim (default: all still refundable), through Stripe.

    Who asked, when, how much and why are kept on the order's timeline with the idempotency key.
    The order's status follows the money once Stripe confirms (`partially_refunded`,
    `refunded`); a refund Stripe has not confirmed yet holds its amount.
    """
    order = staff_refunds.refund_order(order_id, g.staff, reason=args["reason"], amount=args["amount"],
                                       request_key=_request_key())
    return _answer(order)


@blp.route("/<int:order_id>/cancel", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(CancelOrderSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(404, description="Unknown order")
@blp.alt_response(409, description="Shipped or delivered already, or never paid")
@blp.alt_response(422, description="No reason")
@blp.alt_response(402, description="Cancelled, but Stripe refused the refund (the order is flagged for staff)")
@blp.alt_response(202, schema=OrderSchema, description="Cancelled, but Stripe did not answer: the refund may have "
                  "been made and stays pending (the order is flagged)")
def cancel(args, order_id):
    """Cancel a paid order before it ships: full refund, stock returned, follow-ups cancelled.

    The customer is emailed; the order becomes `cancelled` (and stays so as the refund settles;
    `refunded_total` shows it). Cancelling a cancelled order answers it unchanged.
    """
    return _answer(staff_refunds.cancel_order(order_id, g.staff, reason=args["reason"], request_key=_request_key()))


def _answer(order):
    """200 once Stripe has the refund; 202 while a refund Stripe never answered waits."""
    return order, 202 if staff_refunds.awaiting_stripe(order) else 200
