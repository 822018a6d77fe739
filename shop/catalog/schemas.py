"""Marshmallow schemas of the catalogue API (they also document it in the OpenAPI file)."""
from marshmallow import Schema, fields, validate

from shop.pagination import MAX_PAGE


class ProductQuerySchema(Schema):

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=24, validate=validate.Range(min=1, max=100))
    q = fields.String(load_default=None, validate=validate.Length(max=200))


class ProductSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    price = fields.Integer(required=True, metadata={"description": "Minor units (cents)"})
    currency = fields.String(required=True, metadata={"example": "usd"})
    capsules_per_bottle = fields.Integer(required=True)
    serving_capsules = fields.Integer(required=True)
    in_stock = fields.Boolean(required=True)
    rating_average = fields.Float(required=True, allow_none=True)
    rating_count = fields.Integer(required=True)
    guarantee_days = fields.Integer(required=True)


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class IngredientSchema(Schema):
    name = fields.String(required=True)
    amount = fields.Float(required=True)
    unit = fields.String(required=True)


class TitrationStepSchema(Schema):
    day = fields.Integer(required=True)
    capsules = fields.Integer(required=True)
    note = fields.String(required=True)


class ImageSchema(Schema):
    url = fields.String(required=True, metadata={"description": "Absolute URL of the largest JPEG or PNG file"})
    alt = fields.String(required=True, metadata={"description": "What the picture shows, for screen readers"})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)


class FactsRowSchema(Schema):
    name = fields.String(required=True)
    amount = fields.Float(required=True, metadata={"description": "Per serving"})
    unit = fields.String(required=True)
    daily_value_percent = fields.Integer(
        required=True, allow_none=True,
        metadata={"description": "Percent Daily Value per serving; null where none is established (†)"})


class SupplementFactsSchema(Schema):
    serving_size = fields.String(required=True, metadata={"example": "3 capsules"})
    servings_per_container = fields.Integer(required=True)
    rows = fields.List(fields.Nested(FactsRowSchema), required=True)
    other_ingredients = fields.String(required=True)
    allergens = fields.String(required=True)
    warnings = fields.String(required=True)


class AdviceSchema(Schema):
    dose_timing = fields.String(required=True, metadata={"example": "immediately before bed"})
    side_effects = fields.String(required=True)
    stopping = fields.String(required=True)
    see_a_doctor_if = fields.List(fields.String(), required=True,
                                  metadata={"description": "Signs that call for a doctor, one per item"})


class BundleSchema(Schema):
    bottles = fields.Integer(required=True, metadata={"description": "Bottles in the bundle (2 or more)"})
    price = fields.Integer(required=True, metadata={"description": "Minor units (cents), for all the bottles"})
    label = fields.String(required=True, metadata={"example": "3 bottles, save 15%"})


class ProductDetailSchema(ProductSchema):
    description = fields.String(required=True)
    ingredients = fields.List(fields.Nested(IngredientSchema), required=True)
    titration = fields.List(fields.Nested(TitrationStepSchema), required=True, attribute="titration_steps")
    disclaimer = fields.String(required=True)
    subscription_discount_percent = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Subscribe & save: percent off each order of a subscription; null when the "
                       "product cannot be subscribed to"})
    images = fields.List(fields.Nested(ImageSchema), required=True, attribute="api_images")
    supplement_facts = fields.Nested(SupplementFactsSchema, required=True)
    advice = fields.Nested(AdviceSchema, required=True,
                           metadata={"description": "This product's own advice: when to take it, "
                                     "what a side effect means, how to stop, when to see a doctor"})
    bundles = fields.List(fields.Nested(BundleSchema), required=True, metadata={
        "description": "Several bottles at one price; buy one with a checkout line `{slug, bundle: bottles}`"})
