"""Schemas of the account API (they also document it in the OpenAPI file)."""
from marshmallow import Schema, fields

from shop.orders.schemas import OrderSchema


class AccountOrdersSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema), required=True)
