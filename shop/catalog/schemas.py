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


class BundleSchema(Schema):
    bottles = fields.Integer(required=True, metadata={"description": "Bottles in the bundle (2 or more)"})
    price = fields.Integer(required=True, metadata={"description": "Minor units (cents), for all the bottles"})
    label = fields.String(required=True, metadata={"example": "3 bottles, save 15%"})


class ProductDetailSchema(ProductSchema):
    description = fields.String(required=True)
    ingredients = fields.List(fields.Nested(IngredientSchema), required=True)
    titration = fields.List(fields.Nested(TitrationStepSchema), required=True, attribute="titration_steps")
    disclaimer = fields.String(required=True)
    bundles = fields.List(fields.Nested(BundleSchema), required=True, metadata={
        "description": "Several bottles at one price; buy one with a checkout line `{slug, bundle: bottles}`"})
