"""Request schemas of the fulfilment API; the answer is `shop.orders.schemas.OrderSchema`."""
from marshmallow import Schema, ValidationError, fields, validate

# A carrier or tracking number goes into the shipped email's subject and headers: a line break
# or NUL there would make that email impossible to send, so it is refused when shipping.
CONTROL_CHARACTERS = "\r\n\0"
CONTROL_CHARACTERS_MESSAGE = "Must not contain line breaks or NUL characters"


def has_control_characters(value: str) -> bool:
    return any(ch in value for ch in CONTROL_CHARACTERS)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Required field missing")


def _single_line(value: str) -> None:
    if has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE)


class ShipSchema(Schema):
    carrier = fields.String(required=True, validate=[validate.Length(max=100), _not_blank, _single_line])
    tracking_number = fields.String(required=True,
                                    validate=[validate.Length(max=100), _not_blank, _single_line])


class DeliverSchema(Schema):
    delivered_at = fields.DateTime(load_default=None, metadata={
        "description": "When the carrier delivered it (ISO 8601; no offset means UTC). Default: now. "
                       "Any past time is accepted; a future one is 422."})
