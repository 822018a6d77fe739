"""Request schemas of the fulfilment API; the answer is `shop.orders.schemas.OrderSchema`."""
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

