"""POST /api/v1/stripe/webhook: Stripe's events, verified over the raw body."""
from flask import request
from marshmallow import Schema, fields

from shop.api_utils import api_blueprint
from shop.payments import stripe_gateway, webhooks

blp = api_blueprint("stripe_api", __name__, "/stripe", "Stripe's webhook endpoint")


class WebhookAckSchema(Schema):
    received = fields.Boolean(required=True)
    outcome = fields.String(required=True, metadata={"description": "What the event did (or 'duplicate')"})


@blp.route("/webhook", methods=["POST"])
@blp.response(200, WebhookAckSchema)
@blp.alt_response(400, description="Missing or bad Stripe-Signature; nothing was recorded")
def stripe_webhook():
    """Record a verified event once and apply it (200 for duplicates and ignored types too).

    A verified event of a shape its type does not promise is acknowledged (200, "malformed")
    and changes nothing: Stripe would otherwise deliver it again for days.

    Any failure to store it answers 5xx, so Stripe delivers it again later.
    """
    event = stripe_gateway.construct_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    outcome = webhooks.process_event(event)
    return {"received": True, "outcome": outcome}
