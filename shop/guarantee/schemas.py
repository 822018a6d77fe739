"""Marshmallow schemas of the guarantee API (they also document it in the OpenAPI file)."""
from marshmallow import Schema, fields, validate

from shop.guarantee.models import DETAILS_MAX, NOTE_MAX, REASON_MAX, STATUSES

REQUIRED = {"required": "Required field missing", "null": "Required field missing"}


class ClaimCreateSchema(Schema):
    reason = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(max=REASON_MAX))
    details = fields.String(load_default=None, validate=validate.Length(max=DETAILS_MAX),
                            metadata={"description": "Anything else: how it went, what changed"})
    doses_reached = fields.Integer(load_default=None, allow_none=True, strict=True,
                                   validate=validate.Range(min=0, max=10_000),
                                   metadata={"description": "Capsules per night reached before stopping"})
    side_effects = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=DETAILS_MAX))


class ClaimSchema(Schema):
    id = fields.Integer(required=True)
    order_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    reason = fields.String(required=True)
    requested_amount = fields.Integer(required=True, metadata={"description": "Minor units (cents)"})
    refunded_amount = fields.Integer(required=True, metadata={"description": "Confirmed by Stripe, minor units"})
    created_at = fields.String(required=True, metadata={"description": "ISO 8601, UTC"})


class ClaimListSchema(Schema):
    items = fields.List(fields.Nested(ClaimSchema), required=True)


class ClaimQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class ApproveSchema(Schema):
    amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, error="Must be greater than 0"),
                            metadata={"description": "Minor units; default: all that is still refundable"})


class DenySchema(Schema):
    note = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(max=NOTE_MAX),
                         metadata={"description": "Why; the customer receives it"})


class ClaimContextSchema(Schema):
    """What support needs to decide (see `guarantee.services.claim_context`)."""

    class Meta:
        unknown = "include"

    claim = fields.Dict(required=True)
    order = fields.Dict(required=True)
    guarantee_days = fields.Integer(allow_none=True)
    deadline = fields.String(allow_none=True)
    refundable = fields.Integer()
    followup_emails = fields.List(fields.Dict())
    stayed_at_dose = fields.Boolean()
    stay_at_dose_clicks = fields.List(fields.Dict())
    earlier_claims = fields.List(fields.Dict())
    audit = fields.List(fields.Dict())
    decisions = fields.Dict(metadata={"description": "Which decisions the claim allows now: approve, deny, retry"})
