"""Products as the store sells them; money in integer minor units of the currency (shop.money)."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, utcnow
from shop.money import DEFAULT_CURRENCY

FDA_DISCLAIMER = (
    "These statements have not been evaluated by the Food and Drug Administration. "
    "This product is not intended to diagnose, treat, cure, or prevent any disease."
)

# Stripe Tax's code for general tangible goods; a product's own `tax_code` tells Stripe what it
# is when STRIPE_AUTOMATIC_TAX is on (supplements are taxed differently from place to place).
DEFAULT_TAX_CODE = "txcd_99999999"

STEP_DOSE = "dose"  # a change of nightly dose: transactional, part of taking the product
STEP_CHECKIN = "checkin"  # a later check-in: marketing, the customer may opt out of it
STEP_KINDS = (STEP_DOSE, STEP_CHECKIN)


class Product(Base):
    __tablename__ = "products"
    # Changes to rows of this class invalidate the cached catalogue (shop/catalog/cache.py).
    __affects_catalogue__ = True
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("capsules_per_bottle > 0", name="capsules_positive"),
        CheckConstraint("serving_capsules > 0", name="serving_positive"),
        CheckConstraint("guarantee_days >= 0", name="guarantee_not_negative"),
        CheckConstraint("rating_count >= 0", name="rating_count_not_negative"),
        CheckConstraint("subscription_discount_percent IS NULL OR "
                        "(subscription_discount_percent BETWEEN 1 AND 90)",
                        name="subscription_discount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int]  # minor units
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    capsules_per_bottle: Mapped[int]
    serving_capsules: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False, index=True)
    guarantee_days: Mapped[int] = mapped_column(default=0)
    disclaimer: Mapped[str] = mapped_column(Text, default=FDA_DISCLAIMER)
    tax_code: Mapped[str] = mapped_column(String(40), default=DEFAULT_TAX_CODE, server_default=DEFAULT_TAX_CODE)
    # Subscribe & save: percent off each order of a subscription; None = cannot be subscribed to.
    subscription_discount_percent: Mapped[int | None]
    # Denormalised from published reviews (kept by the reviews service) so a catalogue page
    # never aggregates reviews per product.
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)

    # Advice that belongs to this product, shown on its page and in its follow-up emails: when
    # in the day to take it ("immediately before bed", "with dinner"), what a side effect means,
    # how to stop, and the signs that call for a doctor (one per line). Empty says nothing.
    dose_timing: Mapped[str] = mapped_column(String(200), default="")
    side_effect_advice: Mapped[str] = mapped_column(Text, default="")
    stopping_advice: Mapped[str] = mapped_column(Text, default="")
    see_doctor_if: Mapped[str] = mapped_column(Text, default="")

    # The Supplement Facts panel; its rows are the ingredients (amount per serving, % DV).
    serving_size: Mapped[str] = mapped_column(String(100), default="")  # "3 capsules"
    servings_per_container: Mapped[int | None]
    other_ingredients: Mapped[str] = mapped_column(Text, default="")
    allergens: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # The names of its ingredients, kept by shop/catalog/search.py so a search reads one row.
    ingredient_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    ingredients: Mapped[list["Ingredient"]] = relationship(
        back_populates="product", order_by="Ingredient.position", cascade="all, delete-orphan"
    )
    titration_steps: Mapped[list["TitrationStep"]] = relationship(
        back_populates="product", order_by="TitrationStep.day", cascade="all, delete-orphan"
    )
    bundles: Mapped[list["Bundle"]] = relationship(
        back_populates="product", order_by="Bundle.bottles", cascade="all, delete-orphan"
    )
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def rating_average(self) -> float | None:
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 2)

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class Ingredient(Base):
    __tablename__ = "ingredients"
    __affects_catalogue__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(20))
    # Percent of the Daily Value per serving; None where no Daily Value is established (the
    # panel shows a dagger).
    daily_value_percent: Mapped[int | None]

    product: Mapped[Product] = relationship(back_populates="ingredients")


class TitrationStep(Base):
    """From `day` after delivery, take `capsules` each night (or, for a check-in, keep going)."""

    __tablename__ = "titration_steps"
    __affects_catalogue__ = True
    __table_args__ = (
        UniqueConstraint("product_id", "day", name="uq_titration_steps_product_day"),
        CheckConstraint("day >= 0", name="day_not_negative"),
        CheckConstraint("capsules >= 1", name="capsules_at_least_one"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    day: Mapped[int]
    capsules: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10), default=STEP_DOSE)
    note: Mapped[str] = mapped_column(Text, default="")

    product: Mapped[Product] = relationship(back_populates="titration_steps")


class ProductImage(Base):
    """A picture of a product, stored as content-named files in several widths (shop.media).

    `digest` names every stored file of the picture: `products/<digest>-<width>.webp` and the
    same with the `fallback` format's extension (jpg, or png where the picture has transparency).
    `width` and `height` are those of the largest file.
    """

    __tablename__ = "product_images"
    __affects_catalogue__ = True
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(300))
    digest: Mapped[str] = mapped_column(String(64))
    fallback: Mapped[str] = mapped_column(String(4))  # "jpg" or "png"
    widths: Mapped[str] = mapped_column(String(60))  # "320,640,1280": the stored widths, ascending
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="images")


class Collection(Base):
    """A named shelf of products ("Sleep", "Daily") with a page of its own."""

    __tablename__ = "collections"
    __affects_catalogue__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entries: Mapped[list["CollectionProduct"]] = relationship(
        back_populates="collection", order_by="CollectionProduct.position", cascade="all, delete-orphan"
    )


class CollectionProduct(Base):
    __tablename__ = "collection_products"
    __affects_catalogue__ = True

    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[Collection] = relationship(back_populates="entries")
    product: Mapped[Product] = relationship()


class Bundle(Base):
    """Several bottles of one product sold together at `price` (minor units, for all of them).

    A checkout line `{slug, bundle: bottles}` buys one such bundle (its `quantity` counts bundles).
    """

    __tablename__ = "product_bundles"
    __affects_catalogue__ = True
    __table_args__ = (
        UniqueConstraint("product_id", "bottles", name="uq_product_bundles_product_bottles"),
        CheckConstraint("bottles >= 2", name="bottles_at_least_two"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    bottles: Mapped[int]
    price: Mapped[int]  # minor units of the product's currency, for the whole bundle
    label: Mapped[str] = mapped_column(String(100), default="")

    product: Mapped[Product] = relationship(back_populates="bundles")

    @property
    def display_label(self) -> str:
        """The label shoppers see: staff's own words, or "3 bottles, save 15%"."""
        return self.label or bundle_label(self.bottles, self.price, self.product.price)


def bundle_label(bottles: int, price: int, single_price: int) -> str:
    """What a bundle is called when staff gave it no label: "3 bottles, save 15%"."""
    full = bottles * single_price
    if full > price > 0:
        saving = (full - price) * 100 // full
        if saving >= 1:
            return f"{bottles} bottles, save {saving}%"
    return f"{bottles} bottles"


class BackInStockRequest(Base):
    """A shopper asked to be emailed once when an out-of-stock product is back (shop/catalog/alerts.py)."""

    __tablename__ = "back_in_stock_requests"
    __table_args__ = (UniqueConstraint("product_id", "email", name="uq_back_in_stock_requests_product_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]  # None: waiting for the stock to return


class LowStockAlert(Base):
    """Staff were alerted that a product fell to LOW_STOCK_THRESHOLD or below; the row goes when
    stock is above it again, so each crossing alerts once (shop/catalog/alerts.py)."""

    __tablename__ = "low_stock_alerts"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    stock: Mapped[int]  # as it was when the alert went out
    alerted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogueVersion(Base):
    """One row whose `version` changes in the same transaction as anything the catalogue shows.

    Every web process compares it with the version its cached catalogue was read at; a random
    token rather than a counter, so a restored backup or a rolled-back bump never makes an old
    cache entry look current again. No row yet reads as version 0.
    """

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
