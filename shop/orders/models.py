"""Orders, their items and their timeline. Status changes only through `orders.states`."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, utcnow

PENDING_PAYMENT = "pending_payment"
PAID = "paid"
SHIPPED = "shipped"
DELIVERED = "delivered"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
CANCELLED = "cancelled"
STATUSES = (PENDING_PAYMENT, PAID, SHIPPED, DELIVERED, PARTIALLY_REFUNDED, REFUNDED, CANCELLED)
# Paid (or refunded in part) and neither shipped nor delivered: what may ship now.
AWAITING_SHIPMENT = ("status IN ('paid', 'partially_refunded') AND shipped_at IS NULL AND delivered_at IS NULL")
# The parts of a shipping address, as Stripe names them (`Order.shipping_<part>` columns).
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "state", "postal_code", "country")


class ShippingAddress:
    """Where a parcel goes, as Stripe collected it: the columns an order and a subscription share."""

    shipping_name: Mapped[str | None] = mapped_column(String(255))
    shipping_line1: Mapped[str | None] = mapped_column(String(255))
    shipping_line2: Mapped[str | None] = mapped_column(String(255))
    shipping_city: Mapped[str | None] = mapped_column(String(255))
    shipping_state: Mapped[str | None] = mapped_column(String(255))
    shipping_postal_code: Mapped[str | None] = mapped_column(String(64))
    shipping_country: Mapped[str | None] = mapped_column(String(2))
    shipping_phone: Mapped[str | None] = mapped_column(String(64))


class Order(ShippingAddress, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("refunded_total >= 0", name="refunded_not_negative"),
        CheckConstraint("refunded_total <= total", name="refunded_within_total"),
        CheckConstraint("amount_subtotal >= 0", name="amount_subtotal_not_negative"),
        CheckConstraint("amount_shipping >= 0", name="amount_shipping_not_negative"),
        CheckConstraint("amount_discount >= 0", name="amount_discount_not_negative"),
        CheckConstraint("amount_tax >= 0", name="amount_tax_not_negative"),
        # The admin's order list, newest first, whole and by status (keyset pages seek on
        # (created_at, id)); the stale-checkout sweep reads the second too.
        Index("ix_orders_created_at_id", "created_at", "id"),
        Index("ix_orders_status_created_at_id", "status", "created_at", "id"),
        # The dashboard's sums of what was paid today and in the last 30 days.
        Index("ix_orders_paid_at", "paid_at"),
        # The fulfilment desk's queue, oldest payment first: partial, so it holds the backlog,
        # not the history. Its condition is `states.may_become(SHIPPED)` as SQL; should that
        # change, tests/admin/test_query_plans.py finds the queue read without it.
        Index("ix_orders_awaiting_shipment", "paid_at", "id",
              postgresql_where=text(AWAITING_SHIPMENT), sqlite_where=text(AWAITING_SHIPMENT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PENDING_PAYMENT)
    # SHA-256 of the order token handed to the customer; compared in constant time.
    token_hash: Mapped[str] = mapped_column(String(64), index=True)  # reviews find an order by its token
    # Minor units: the items' subtotal until paid; then what Stripe charged (`amount_total`).
    total: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    # What Stripe charged, as its completed Checkout Session says (None until paid): the items'
    # subtotal, and `total_details` (shipping, discount, tax). The shop never computes these.
    amount_subtotal: Mapped[int | None]
    amount_shipping: Mapped[int | None]
    amount_discount: Mapped[int | None]
    amount_tax: Mapped[int | None]
    # The shipping rate the customer chose on Stripe's page (Stripe's id, our rate's name) and
    # the promotion code they entered, if any.
    shipping_rate_id: Mapped[str | None] = mapped_column(String(255))
    shipping_rate_name: Mapped[str | None] = mapped_column(String(100))
    promotion_code: Mapped[str | None] = mapped_column(String(64))
    stripe_promotion_code_id: Mapped[str | None] = mapped_column(String(255))
    # The shipping address as Stripe collected it (ShippingAddress: None until paid; staff may correct it).
    refunded_total: Mapped[int] = mapped_column(default=0)
    # Whether the reserved stock is still held by this order (released on cancellation).
    stock_reserved: Mapped[bool] = mapped_column(default=True)
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    card_brand: Mapped[str | None] = mapped_column(String(30))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    # Set when something needs a person: a dispute, a payment that failed late, drift found.
    needs_attention: Mapped[str | None] = mapped_column(Text)
    # The address the checkout came from: unpaid units are capped per address (orders.limits).
    client_address: Mapped[str | None] = mapped_column(String(64))
    # A subscription's renewal: the subscription (shop.subscriptions) and the Stripe invoice that
    # paid it (unique: one order per invoice). No foreign key: the subscription points back here.
    subscription_id: Mapped[int | None] = mapped_column(index=True)
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def refundable(self) -> int:
        return self.total - self.refunded_total

    @property
    def shipping_address(self) -> dict | None:
        """{name, line1, line2, city, state, postal_code, country} as collected; None before."""
        fields = {name: getattr(self, f"shipping_{name}") for name in ADDRESS_FIELDS}
        return fields if any(fields.values()) else None

    @property
    def shipping_address_lines(self) -> list[str]:
        """The address as a label reads: name, street lines, "City, ST 12345", country."""
        address = self.shipping_address or {}
        place = " ".join(part for part in (address.get("state"), address.get("postal_code")) if part)
        town = ", ".join(part for part in (address.get("city"), place) if part)
        lines = (address.get("name"), address.get("line1"), address.get("line2"), town, address.get("country"))
        return [line for line in lines if line]

    @property
    def amounts(self) -> dict:
        """{subtotal, shipping, discount, tax, total} as Stripe charged them (None until paid)."""
        charged = self.amount_subtotal is not None
        return {"subtotal": self.amount_subtotal, "shipping": self.amount_shipping,
                "discount": self.amount_discount, "tax": self.amount_tax,
                "total": self.total if charged else None}

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.status}>"


# Orders by customer, letter case aside: account pages, data requests, checkout limits, claims
# (equality), and the admin's search by the start of an address (LIKE 'jane%'; text_pattern_ops
# lets PostgreSQL answer a prefix whatever the database's collation).
Index("ix_orders_email_lower", func.lower(Order.email).label("email_lower"),
      postgresql_ops={"email_lower": "text_pattern_ops"})


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("bottles_per_unit >= 1", name="bottles_per_unit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]  # units sold: single bottles, or bundles of `bottles_per_unit`
    unit_price: Mapped[int]  # minor units, as charged (for a bundle: the bundle's price)
    # 1 for single bottles; N for a bundle of N bottles (then `name` names the bundle).
    bottles_per_unit: Mapped[int] = mapped_column(default=1, server_default="1")

    order: Mapped[Order] = relationship(back_populates="items")
    product = relationship("Product")

    @property
    def line_total(self) -> int:
        return self.quantity * self.unit_price

    @property
    def bottles(self) -> int:
        """Bottles on this line: what stock, follow-ups and reorder reminders count."""
        return self.quantity * (self.bottles_per_unit or 1)

    @property
    def bundle(self) -> int | None:
        """Bottles per bundle when the line is a bundle, else None."""
        return self.bottles_per_unit if (self.bottles_per_unit or 1) > 1 else None


class OrderEvent(Base):
    """The order's timeline: who did what, when (status changes, emails, Stripe, staff)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))  # "customer", "stripe", "system", "staff:<email>"
    kind: Mapped[str] = mapped_column(String(40))  # "status", "note", "email", "refund", ...
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict | None] = mapped_column(JSON)

    order: Mapped[Order] = relationship(back_populates="events")
