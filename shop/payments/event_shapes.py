"""What a webhook event promises about its shape, checked before anything acts on it.

Stripe signed the event, so it is not an attack; but a payload the handlers cannot read (a
string where the object goes, a text amount, no id, a null inside) must not end in a 500: Stripe
would deliver it again for days. Such an event is acknowledged, logged and changes nothing.
Only the fields the handlers read are checked; every other field Stripe sends is let through.
"""
from marshmallow import EXCLUDE, Schema, fields, validate

from shop.text_input import has_lone_surrogate

ID = validate.Length(min=1, max=255)  # the columns that keep Stripe's ids
AMOUNT = validate.Range(min=0, max=2**31 - 1)  # the columns that keep amounts are 32-bit


class Whole(fields.Integer):
    """A JSON integer: not a text ("1200"), not a float, not a boolean."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Expandable(fields.Field):
    """An id ("pi_123"), or, when the event expands it, the object it names (with that id)."""

    default_error_messages = {"invalid": "Not an id, nor an object with one."}

    def __init__(self, schema: type[Schema], **kwargs):
        super().__init__(allow_none=True, **kwargs)
        self.schema = schema

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and 0 < len(value) <= 255:
            return value
        if isinstance(value, dict):
            return self.schema().load(value)
        raise self.make_error("invalid")


class _Shape(Schema):
    class Meta:
        unknown = EXCLUDE


def _object(kind: str):
    return fields.String(required=True, validate=validate.Equal(kind))


def _text(**kwargs):
    return fields.String(allow_none=True, validate=validate.Length(max=5000), **kwargs)


METADATA = dict(keys=fields.String(), values=fields.String(validate=validate.Length(max=500)), allow_none=True)


class Card(_Shape):
    brand = _text()
    last4 = _text()


class PaymentMethodDetails(_Shape):
    card = fields.Nested(Card, allow_none=True)


class ExpandedCharge(_Shape):
    id = fields.String(required=True, validate=ID)
    payment_method_details = fields.Nested(PaymentMethodDetails, allow_none=True)


class ExpandedPaymentIntent(_Shape):
    id = fields.String(required=True, validate=ID)
    latest_charge = Expandable(ExpandedCharge)


class Refund(_Shape):
    object = _object("refund")
    id = fields.String(required=True, validate=ID)
    amount = Whole(required=True, validate=AMOUNT)
    currency = _text()
    status = _text()
    reason = _text()
    failure_reason = _text()
    payment_intent = Expandable(ExpandedPaymentIntent)
    charge = Expandable(ExpandedCharge)
    metadata = fields.Dict(**METADATA)


class RefundList(_Shape):
    data = fields.List(fields.Nested(Refund), allow_none=True)


class Charge(ExpandedCharge):
    object = _object("charge")
    payment_intent = Expandable(ExpandedPaymentIntent)
    metadata = fields.Dict(**METADATA)
    refunds = fields.Nested(RefundList, allow_none=True)


class _HasId(_Shape):
    id = fields.String(required=True, validate=ID)


class TotalDetails(_Shape):
    amount_discount = Whole(allow_none=True, validate=AMOUNT)
    amount_shipping = Whole(allow_none=True, validate=AMOUNT)
    amount_tax = Whole(allow_none=True, validate=AMOUNT)


class Address(_Shape):
    line1 = _text()
    line2 = _text()
    city = _text()
    state = _text()
    postal_code = _text()
    country = _text()


class ShippingDetails(_Shape):
    name = _text()
    address = fields.Nested(Address, allow_none=True)


class CollectedInformation(_Shape):
    shipping_details = fields.Nested(ShippingDetails, allow_none=True)


class CustomerDetails(_Shape):
    phone = _text()


class ShippingCost(_Shape):
    shipping_rate = Expandable(_HasId)


class ShippingOption(_Shape):
    shipping_rate = Expandable(_HasId)


class Discount(_Shape):
    coupon = Expandable(_HasId)
    promotion_code = Expandable(_HasId)


class CheckoutSession(_Shape):
    object = _object("checkout.session")
    id = fields.String(required=True, validate=ID)
    client_reference_id = _text()
    metadata = fields.Dict(**METADATA)
    payment_status = _text()
    # Null in a session that takes no payment (setup mode); a session paying an order without
    # them is not paid (amount_check).
    currency = fields.String(allow_none=True, validate=validate.Length(min=1, max=10))
    amount_subtotal = Whole(allow_none=True, validate=AMOUNT)
    amount_total = Whole(allow_none=True, validate=AMOUNT)
    total_details = fields.Nested(TotalDetails, allow_none=True)
    payment_intent = Expandable(ExpandedPaymentIntent)
    # What the customer entered and chose on Stripe's page (checkout_details reads them).
    collected_information = fields.Nested(CollectedInformation, allow_none=True)
    shipping_details = fields.Nested(ShippingDetails, allow_none=True)  # before API 2025-03-31
    customer_details = fields.Nested(CustomerDetails, allow_none=True)
    shipping_cost = fields.Nested(ShippingCost, allow_none=True)
    shipping_options = fields.List(fields.Nested(ShippingOption), allow_none=True)
    discounts = fields.List(fields.Nested(Discount), allow_none=True)


class Dispute(_Shape):
    object = _object("dispute")
    id = fields.String(required=True, validate=ID)
    amount = Whole(allow_none=True, validate=AMOUNT)
    currency = _text()
    reason = _text()
    charge = Expandable(ExpandedCharge)
    payment_intent = Expandable(ExpandedPaymentIntent)
    metadata = fields.Dict(**METADATA)


class EventData(_Shape):
    object = fields.Dict(required=True)


class Event(_Shape):
    id = fields.String(required=True, validate=ID)
    type = fields.String(required=True, validate=validate.Length(max=100))
    created = Whole(allow_none=True)
    data = fields.Nested(EventData, required=True)


OBJECT_SHAPES: dict[str, type[Schema]] = {
    "checkout.session.completed": CheckoutSession,
    "checkout.session.async_payment_succeeded": CheckoutSession,
    "checkout.session.async_payment_failed": CheckoutSession,
    "checkout.session.expired": CheckoutSession,
    "charge.succeeded": Charge,
    "charge.refunded": Charge,
    "refund.created": Refund,
    "refund.updated": Refund,
    "refund.failed": Refund,
    "charge.refund.updated": Refund,
    "charge.dispute.created": Dispute,
}
_EVENT = Event()
_OBJECTS = {event_type: shape() for event_type, shape in OBJECT_SHAPES.items()}


def shape_problems(event: dict) -> dict:
    """What is wrong with the event's shape for its type ({} when nothing is)."""
    problems = _EVENT.validate(event)
    if problems:
        return problems
    shape = _OBJECTS.get(event["type"])
    if shape is not None:
        problems = shape.validate(event["data"]["object"])
        if problems:
            return {"data": {"object": problems}}
    if has_lone_surrogate(event):
        return {"_schema": ["Text that is not valid Unicode (a lone surrogate)"]}
    return {}

