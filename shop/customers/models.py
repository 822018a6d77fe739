"""Customer accounts: an email address proven by a one-time link, and its signed-in browsers.

There is no password. A customer is the address itself, lower-cased, written down the first
time someone signs in with it; every order placed with that address belongs to it (guest
orders included). Secrets a browser or a mailbox holds (session keys, link tokens) are stored
as SHA-256 digests only. Customer sessions are their own table and their own cookie: they never
open the admin panel, whose staff sessions live in `shop.accounts`.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, utcnow
from shop.orders.models import ShippingAddress  # the saved address: the columns an order has

# What a one-time link does when used.
SIGN_IN = "sign_in"
ERASE = "erase"
LINK_PURPOSES = (SIGN_IN, ERASE)


class Customer(ShippingAddress, Base):
    """The account; its `shipping_*` columns are the saved shipping address (None until the
    customer saves one or pays a checkout they started signed in)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # The Stripe Customer their signed-in checkouts are made for (Checkout shows its shipping
    # address), created at their first one; and whether the saved address changed since Stripe
    # last had it (it is sent with the next checkout).
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_shipping_outdated: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Customer {self.id}>"


class CustomerSession(Base):
    """One signed-in browser. Signing out ends it; "sign out everywhere" ends them all."""

    __tablename__ = "customer_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AccountLink(Base):
    """A one-time link emailed to `email`: sign in, or confirm erasing everything held about it.

    Valid for a few minutes, used at most once (`used_at`, set by a guarded UPDATE).
    """

    __tablename__ = "customer_links"
    __table_args__ = (Index("ix_customer_links_email_created_at", "email", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
