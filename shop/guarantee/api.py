"""The guarantee's JSON API: the customer's claim, and the staff's queue and decisions.

A second approval of an approved (or refunded) claim answers 200 with the claim unchanged and
sends nothing to Stripe: a double click or two staff at once refund once. Approving a denied
claim is 409. When Stripe refuses the refund, the approval answers 200 with the claim `failed`
(Stripe's message is in the claim's context for staff); approving it again retries with a new
idempotency key.
"""
from flask import g, request

from shop.accounts.auth import staff_token_required
from shop.accounts.models import ROLE_SUPPORT
from shop.api_utils import api_blueprint
from shop.guarantee import refunds, services
from shop.guarantee.schemas import (
    ApproveSchema,
    ClaimContextSchema,
    ClaimCreateSchema,
    ClaimListSchema,
    ClaimQuerySchema,
    ClaimSchema,
    DenySchema,
)
from shop.orders.access import no_store
from shop.orders.services import order_for_customer

blp = api_blueprint("guarantee_api", __name__, "/orders", "Money-back guarantee claims (customer)")
admin_blp = api_blueprint("guarantee_admin_api", __name__, "/admin/claims",
                          "Guarantee claims: the queue and decisions (staff: support or admin)")
blp.after_request(no_store)
admin_blp.after_request(no_store)


@blp.route("/<int:order_id>/claims", methods=["POST"])
@blp.doc(parameters=[{"in": "header", "name": "X-Order-Token", "required": True, "schema": {"type": "string"},
                      "description": "The order token returned by checkout"}])
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(404, description="Unknown order or wrong X-Order-Token")
@blp.alt_response(409, description="The order already has an open or approved claim")
@blp.alt_response(422, description="Not delivered, past the guarantee, or bad input")
def create_claim(args, order_id):
    """File a claim (header X-Order-Token). Only delivered orders, within `guarantee_days`."""
    order = order_for_customer(order_id, request.headers.get("X-Order-Token"))
    claim = services.file_claim(order.id, args["reason"], details=args["details"],
                                doses_reached=args["doses_reached"], side_effects=args["side_effects"])
    return services.claim_dict(claim)


@admin_blp.route("")
@staff_token_required(ROLE_SUPPORT)
@admin_blp.arguments(ClaimQuerySchema, location="query")
@admin_blp.response(200, ClaimListSchema)
def list_claims(args):
    """Claims, oldest first; `status` filters (open, approved, refunded, denied, failed)."""
    return {"items": [services.claim_dict(c) for c in services.list_claims(args["status"])]}


@admin_blp.route("/<int:claim_id>")
@staff_token_required(ROLE_SUPPORT)
@admin_blp.response(200, ClaimContextSchema)
def claim_context(claim_id):
    """One claim with what support needs to decide: order, deadline, follow-ups, history, audit."""
    return services.claim_context(claim_id)


@admin_blp.route("/<int:claim_id>/approve", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@admin_blp.arguments(ApproveSchema, required=False)
@admin_blp.response(200, ClaimSchema)
def approve_claim(args, claim_id):
    """Approve and refund through Stripe (default: all still refundable; 422 above that)."""
    return services.claim_dict(refunds.approve_and_refund(claim_id, g.staff, args["amount"]))


@admin_blp.route("/<int:claim_id>/deny", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@admin_blp.arguments(DenySchema)
@admin_blp.response(200, ClaimSchema)
def deny_claim(args, claim_id):
    """Deny with a note; the customer is emailed the note."""
    return services.claim_dict(services.deny_claim(claim_id, g.staff, args["note"]))
