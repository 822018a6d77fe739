"""Immutable copies of catalogue rows, safe to share between requests and threads.

A cached ORM instance would be tied to the session that loaded it (lazy loads fail once it is
detached, and two threads must not share one). These read like a `Product` to templates,
schemas, presenters and product-page sections: same attribute names, same properties.
"""
from dataclasses import dataclass
from decimal import Decimal

from shop.catalog.models import Product
from shop.media.images import file_key


@dataclass(frozen=True, slots=True)
class IngredientView:
    position: int
    name: str
    amount: Decimal
    unit: str
    daily_value_percent: int | None = None


@dataclass(frozen=True, slots=True)
class ImageView:
    """A stored picture (shop.catalog.models.ProductImage): its files and how to link to them."""

    alt: str
    digest: str
    fallback: str  # "jpg" or "png"
    widths: tuple[int, ...]
    width: int
    height: int

    def url(self, width: int | None = None, extension: str | None = None, absolute: bool = False) -> str:
        from shop.media.views import media_url

        return media_url(file_key(self.digest, width or self.width, extension or self.fallback), absolute)

    def srcset(self, extension: str) -> str:
        return ", ".join(f"{self.url(width, extension)} {width}w" for width in self.widths)

    def height_at(self, width: int) -> int:
        return max(1, round(self.height * width / self.width))


@dataclass(frozen=True, slots=True)
class TitrationStepView:
    day: int
    capsules: int
    kind: str
    note: str


@dataclass(frozen=True, slots=True)
class BundleView:
    bottles: int
    price: int  # minor units, for all the bottles
    label: str  # as shoppers see it (Bundle.display_label)


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    slug: str
    name: str
    summary: str
    description: str
    price: int
    currency: str
    capsules_per_bottle: int
    serving_capsules: int
    stock: int
    published: bool
    guarantee_days: int
    disclaimer: str
    rating_count: int
    rating_sum: int
    subscription_discount_percent: int | None = None
    dose_timing: str = ""
    side_effect_advice: str = ""
    stopping_advice: str = ""
    see_doctor_if: str = ""
    serving_size: str = ""
    servings_per_container: int | None = None
    other_ingredients: str = ""
    allergens: str = ""
    warnings: str = ""
    ingredients: tuple[IngredientView, ...] = ()
    titration_steps: tuple[TitrationStepView, ...] = ()
    images: tuple[ImageView, ...] = ()
    bundles: tuple[BundleView, ...] = ()

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def rating_average(self) -> float | None:
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 2)

    @property
    def supplement_facts(self) -> dict:
        return supplement_facts(self)

    @property
    def advice(self) -> dict:
        from shop.catalog.advice import advice

        return advice(self)

    @property
    def api_images(self) -> list[dict]:
        """Each picture's largest file in the fallback format (every client reads JPEG and PNG)."""
        return [{"url": image.url(absolute=True), "alt": image.alt, "width": image.width, "height": image.height}
                for image in self.images]


def supplement_facts(product: "Product | ProductView") -> dict:
    """The Supplement Facts panel as data: a serving, its rows, and what the label says besides.

    Where staff left the serving or servings blank they follow from the capsule counts.
    """
    serving = product.serving_capsules
    return {
        "serving_size": product.serving_size or f"{serving} capsule{'' if serving == 1 else 's'}",
        "servings_per_container": product.servings_per_container or product.capsules_per_bottle // serving,
        "rows": [{"name": i.name, "amount": i.amount, "unit": i.unit, "daily_value_percent": i.daily_value_percent}
                 for i in product.ingredients],
        "other_ingredients": product.other_ingredients,
        "allergens": product.allergens,
        "warnings": product.warnings,
    }


@dataclass(frozen=True, slots=True)
class CataloguePage:
    items: tuple[ProductView, ...]
    total: int


DETAIL_FIELDS = ("dose_timing", "side_effect_advice", "stopping_advice", "see_doctor_if", "serving_size",
                 "servings_per_container", "other_ingredients", "allergens", "warnings")


def image_view(image) -> ImageView:
    return ImageView(image.alt, image.digest, image.fallback, tuple(int(w) for w in image.widths.split(",")),
                     image.width, image.height)


def product_view(product: Product, with_details: bool = False) -> ProductView:
    """A copy of `product`; `with_details` adds ingredients, plan, advice and facts (loaded first).

    Pictures come with every copy (the catalogue grid shows the first): load them with the rows.
    """
    details = {}
    if with_details:
        details = {
            "ingredients": tuple(IngredientView(i.position, i.name, i.amount, i.unit, i.daily_value_percent)
                                 for i in product.ingredients),
            "titration_steps": tuple(
                TitrationStepView(s.day, s.capsules, s.kind, s.note) for s in product.titration_steps
            ),
            **{name: getattr(product, name) for name in DETAIL_FIELDS},
            "bundles": tuple(
                BundleView(b.bottles, b.price, b.display_label)
                for b in product.bundles
            ),
        }
    details["images"] = tuple(image_view(image) for image in product.images)
    return ProductView(
        id=product.id, slug=product.slug, name=product.name, summary=product.summary,
        description=product.description, price=product.price, currency=product.currency,
        capsules_per_bottle=product.capsules_per_bottle, serving_capsules=product.serving_capsules,
        stock=product.stock, published=product.published, guarantee_days=product.guarantee_days,
        disclaimer=product.disclaimer, rating_count=product.rating_count, rating_sum=product.rating_sum,
        subscription_discount_percent=product.subscription_discount_percent,
        **details,
    )
