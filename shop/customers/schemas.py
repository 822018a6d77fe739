"""Schemas of the account API (they also document it in the OpenAPI file)."""
from marshmallow import Schema, fields

from shop.orders.schemas import OrderSchema


class AccountOrdersSchema(Schema):
    items = fields.List(fields.Nested(OrderSchema), required=True)


class SignInRequestSchema(Schema):
    email = fields.String(required=True, metadata={"description": "Any address; letter case and spaces aside",
                                                   "example": "jane@example.com"})


class SignInSentSchema(Schema):
    status = fields.String(required=True, metadata={"example": "sent"})
    message = fields.String(required=True, metadata={
        "description": "The same words whatever the address: no one learns which addresses are customers"})
