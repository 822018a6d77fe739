"""Request schemas of the staff refund API; the answer is `shop.orders.schemas.OrderSchema`."""
from marshmallow import Schema, fields, validate

from shop.payments.staff_refunds import REASON_MAX

REQUIRED = {"required": "Required field missing", "null": "Required field missing"}


class StaffRefundSchema(Schema):
    amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, error="Must be greater than 0"),
                            metadata={"description": "Minor units (cents); default: all that is still refundable"})
    reason = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(max=REASON_MAX),
                           metadata={"description": "Why; kept in the order's audit trail (not sent to the customer)"})


class CancelOrderSchema(Schema):
    reason = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(max=REASON_MAX),
                           metadata={"description": "Why; kept in the order's audit trail (not sent to the customer)"})
