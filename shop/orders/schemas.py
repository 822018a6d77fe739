"""Marshmallow schemas of the checkout and order API (they also document it in the OpenAPI file)."""
from urllib.parse import urlsplit

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from shop.cart.services import MAX_LINES, MAX_QUANTITY
from shop.db import as_utc

DEFAULT_PORTS = {"http": 80, "https": 443}


MAX_BUNDLE = 99  # bottles in one bundle; larger sizes cannot be on offer


class CheckoutItemSchema(Schema):
    """A line: `quantity` single bottles; or, with `bundle` N, `quantity` bundles of N bottles
    (quantity defaults to 1 then: `{slug, bundle: 3}` is one bundle of three)."""

    slug = fields.String(required=True, validate=validate.Length(min=1, max=120))
    quantity = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=1, max=MAX_QUANTITY),
                              metadata={"description": "Single bottles; with `bundle`, bundles (default 1). "
                                                       "Required without `bundle`."})
    bundle = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=2, max=MAX_BUNDLE),
                            metadata={"description": "Buy the product's bundle of this many bottles at its "
                                                     "bundle price (ProductDetail `bundles`); 422 when the "
                                                     "product offers no bundle of that size"})

    @validates_schema
    def _quantity_or_bundle(self, data, **kwargs):
        if data.get("quantity") is None and data.get("bundle") is None:
            raise ValidationError("Missing data for required field.", field_name="quantity")
    subscribe = fields.Boolean(load_default=False, metadata={
        "description": "Subscribe & save: renewals of this line follow the bottle (only a product with "
                       "`subscription_discount_percent`; one such line per checkout)"})


def _same_site_url(value: str | None) -> None:
    """Only addresses on this shop's own origin (PUBLIC_URL's scheme, host and port).

    The checkout must not be an open redirect: Stripe sends the customer to these addresses.
    """
    if value is None:
        return
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("Must not contain control characters")
    parts = urlsplit(value)
    shop = urlsplit(current_app.config["PUBLIC_URL"])
    try:
        same_origin = _origin(parts) == _origin(shop)
    except ValueError:  # a port that is not a number
        same_origin = False
    if not same_origin or parts.username is not None or parts.password is not None:
        raise ValidationError(f"Must be an address on {shop.scheme}://{shop.netloc}")


def _origin(parts) -> tuple:
    return parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme)


class CheckoutSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254),
                         error_messages={"invalid": "Email address invalid"})
    items = fields.List(fields.Nested(CheckoutItemSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES, error=f"Between 1 and {MAX_LINES} items"))
    success_url = fields.String(load_default=None, validate=validate.Length(max=2000))
    cancel_url = fields.String(load_default=None, validate=validate.Length(max=2000))

    @validates("success_url", "cancel_url")
    def _check_url(self, value, **kwargs):
        _same_site_url(value)


class CheckoutResultSchema(Schema):
    order_id = fields.Integer(required=True)
    order_token = fields.String(required=True, metadata={"description": "Send as X-Order-Token to read the order"})
    status = fields.String(required=True, metadata={"example": "pending_payment"})
    total = fields.Integer(required=True, metadata={"description": "Minor units (cents)"})
    currency = fields.String(required=True, metadata={"example": "usd"})
    checkout_url = fields.String(required=True, metadata={"description": "Stripe Checkout's page"})
    stripe_checkout_session_id = fields.String(required=True)


class UtcDateTime(fields.DateTime):
    """ISO 8601 with the UTC offset, whatever the database handed back."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_utc(value), attr, obj, **kwargs)


class OrderItemSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "For a bundle, its name: \"Mag R&R — 3 bottles, save 15%\""})
    quantity = fields.Integer(required=True, metadata={"description": "Bottles; for a bundle line, bundles"})
    unit_price = fields.Integer(required=True, metadata={"description": "Minor units; for a bundle line, the bundle's price"})
    bundle = fields.Integer(required=True, allow_none=True, metadata={"description": "Bottles per bundle; null for single bottles"})
    bottles = fields.Integer(required=True, metadata={"description": "Bottles on the line in all"})


class ShippingAddressSchema(Schema):
    name = fields.String(allow_none=True)
    line1 = fields.String(allow_none=True)
    line2 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2, e.g. US"})


class AmountsSchema(Schema):
    """What Stripe charged, in minor units; every figure is null until the order is paid."""
    subtotal = fields.Integer(allow_none=True, metadata={"description": "The items (`amount_subtotal`)"})
    shipping = fields.Integer(allow_none=True, metadata={"description": "`total_details.amount_shipping`"})
    discount = fields.Integer(allow_none=True, metadata={"description": "`total_details.amount_discount`"})
    tax = fields.Integer(allow_none=True, metadata={"description": "`total_details.amount_tax`"})
    total = fields.Integer(allow_none=True, metadata={
        "description": "`amount_total`: subtotal - discount + shipping + tax; equals the order's `total`"})


class OrderSchema(Schema):
    """An order as API.md shows it. Its follow-ups and claims are read per order; a list of
    orders (the account's) reads them for all at once and hands each order in with its own as
    `read_ahead` (`shop.customers.account.ListedOrder`), so the list costs no query per order."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    email = fields.String(required=True)
    items = fields.List(fields.Nested(OrderItemSchema), required=True)
    total = fields.Integer(required=True, metadata={
        "description": "Minor units: the items until paid, then what Stripe charged (`amounts.total`)"})
    currency = fields.String(required=True)
    shipping_address = fields.Nested(ShippingAddressSchema, allow_none=True, metadata={
        "description": "As Stripe Checkout collected it; null before payment"})
    amounts = fields.Nested(AmountsSchema, required=True)
    paid_at = UtcDateTime(allow_none=True)
    shipped_at = UtcDateTime(allow_none=True)
    delivered_at = UtcDateTime(allow_none=True)
    refunded_total = fields.Integer(required=True)
    followups = fields.Method("_followups", metadata={"description": "[{day, capsules, due_at, status}]"})
    claims = fields.Method("_claims", metadata={"description": "[Claim]"})
    subscription = fields.Method("_subscription", metadata={
        "description": "{id, status, next_renewal_on, interval_days, renewal_order_ids}: the subscription "
                       "this order started or renews; null for a one-time order"})

    def _followups(self, order):
        from shop.followups.services import order_followups

        read_ahead = getattr(order, "read_ahead", None)
        return read_ahead.followups if read_ahead is not None else order_followups(order)

    def _claims(self, order):
        from shop.guarantee.services import order_claims

        read_ahead = getattr(order, "read_ahead", None)
        return read_ahead.claims if read_ahead is not None else order_claims(order)

    def _subscription(self, order):
        from shop.subscriptions.services import order_subscription

        return order_subscription(order)
