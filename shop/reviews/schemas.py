"""Marshmallow schemas of the reviews API; the field rules come from `validation`.

A required field that is missing, null, empty or only whitespace is "Required field missing",
whichever way a client leaves it out.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shop.db import as_utc
from shop.pagination import MAX_PAGE
from shop.reviews import validation as v
from shop.reviews.models import KIND_QUESTION, KIND_REVIEW, KINDS


class RequiredText(fields.String):
    default_error_messages = {"required": v.REQUIRED, "null": v.REQUIRED, "blank": v.REQUIRED}

    def __init__(self, max_length: int | None, **kwargs):
        super().__init__(required=True, **kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        text = v.clean_text(super()._deserialize(value, attr, data, **kwargs))
        if not text:
            raise self.make_error("blank")
        if self.max_length and len(text) > self.max_length:
            raise ValidationError(v.too_long(self.max_length))
        return text


class OptionalText(fields.String):
    """Absent, null and blank all mean "not given"."""

    def __init__(self, **kwargs):
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return v.clean_text(super()._deserialize(value, attr, data, **kwargs)) or None


class Email(RequiredText):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return v.normalise_email(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Website(OptionalText):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        try:
            return v.normalise_website(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class Rating(fields.Field):
    """1 to 5; a whole number or its digits as a string. Blank means not given."""

    def __init__(self, **kwargs):
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if not value.strip():
                return None
            value = value.strip()
            if not value.isdigit():
                raise ValidationError(v.RATING_INVALID)
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(v.RATING_INVALID)
        return value


class EntryCreateSchema(Schema):
    kind = OptionalText(metadata={"enum": list(KINDS), "description": "review or question; not for a reply"})
    name = RequiredText(v.NAME_MAX)
    email = Email(None, metadata={"description": "Never shown"})
    website = Website()
    rating = Rating(metadata={"type": "integer", "minimum": 1, "maximum": 5,
                              "description": "Required for a review"})
    body = RequiredText(v.BODY_MAX)
    parent_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                               validate=validate.Range(min=1, error="Not a published review or question of this product"),
                               metadata={"description": "The review or question this replies to"})

    @validates_schema(skip_on_field_errors=False)
    def kind_and_rating(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        kind, rating = data.get("kind"), data.get("rating")
        if data.get("parent_id") is not None:
            if kind is not None:
                errors["kind"] = ["A reply takes the kind of the entry it answers; leave kind out"]
            if rating is not None:
                errors["rating"] = ["A reply has no rating"]
        # A field with an error of its own is absent from `data`; load_default fills the rest.
        elif "kind" in data and kind is None:
            errors["kind"] = [v.REQUIRED]
        elif kind is not None and kind not in KINDS:
            errors["kind"] = ["Must be one of: review, question"]
        elif kind == KIND_REVIEW and "rating" in data and rating is None:
            errors["rating"] = [v.REQUIRED]
        elif kind == KIND_QUESTION and rating is not None:
            errors["rating"] = ["A question has no rating"]
        if errors:
            raise ValidationError(errors)


class EntryCreatedSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"example": "pending"})


class ReviewListQuerySchema(Schema):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))


class ReplySchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    rating = fields.Integer(required=True, allow_none=True)
    body = fields.String(required=True)
    created_at = fields.Function(lambda e: as_utc(e.created_at).isoformat(), metadata={"format": "date-time"})
    verified_buyer = fields.Boolean(required=True)
    is_staff = fields.Boolean(required=True)


class EntrySchema(ReplySchema):
    replies = fields.List(fields.Nested(ReplySchema), required=True)


class EntryListSchema(Schema):
    items = fields.List(fields.Nested(EntrySchema), required=True)


class AdminEntrySchema(EntrySchema):
    """What staff see besides the public Entry: moderation state, flags, where it belongs."""

    status = fields.String(required=True)
    product = fields.Function(lambda e: e.product.slug, metadata={"description": "Product slug"})
    parent_id = fields.Integer(allow_none=True)
    flags = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    titration_stage = fields.String(allow_none=True)


class AdminEntryListSchema(Schema):
    items = fields.List(fields.Nested(AdminEntrySchema), required=True)


class QuestionQuerySchema(Schema):
    status = fields.String(load_default="unanswered", validate=validate.OneOf(["unanswered"]))


class StaffAnswerSchema(Schema):
    body = RequiredText(v.BODY_MAX)
