"""Request schemas of the fulfilment API; the answer is the Order of the order API."""
from marshmallow import Schema, ValidationError, fields, validate


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Required field missing")


class ShipSchema(Schema):
    carrier = fields.String(required=True, validate=[validate.Length(max=100), _not_blank])
    tracking_number = fields.String(required=True, validate=[validate.Length(max=100), _not_blank])


class DeliverSchema(Schema):
    delivered_at = fields.DateTime(load_default=None, metadata={
        "description": "When the carrier delivered it (ISO 8601; no offset means UTC). Default: now. "
                       "Any past time is accepted; a future one is 422."})


class OrderItemSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Integer(required=True)


class FollowUpSchema(Schema):
    day = fields.Integer(required=True)
    capsules = fields.Integer(required=True)
    due_at = fields.String(required=True)
    status = fields.String(required=True)


class OrderSchema(Schema):
    """The Order of `GET /api/v1/orders/<id>` (API.md), as the staff API answers it."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    email = fields.String(required=True)
    items = fields.List(fields.Nested(OrderItemSchema), required=True)
    total = fields.Integer(required=True)
    currency = fields.String(required=True)
    paid_at = fields.String(allow_none=True)
    shipped_at = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)
    refunded_total = fields.Integer(required=True)
    followups = fields.List(fields.Nested(FollowUpSchema), required=True)
    claims = fields.List(fields.Dict(), required=True)
