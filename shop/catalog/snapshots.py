"""Immutable copies of catalogue rows, safe to share between requests and threads.

A cached ORM instance would be tied to the session that loaded it (lazy loads fail once it is
detached, and two threads must not share one). These read like a `Product` to templates,
schemas, presenters and product-page sections: same attribute names, same properties.
"""
from dataclasses import dataclass
from decimal import Decimal

from shop.catalog.models import Product


@dataclass(frozen=True, slots=True)
class IngredientView:
    position: int
    name: str
    amount: Decimal
    unit: str


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
    ingredients: tuple[IngredientView, ...] = ()
    titration_steps: tuple[TitrationStepView, ...] = ()
    bundles: tuple[BundleView, ...] = ()

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def rating_average(self) -> float | None:
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 2)


@dataclass(frozen=True, slots=True)
class CataloguePage:
    items: tuple[ProductView, ...]
    total: int


def product_view(product: Product, with_details: bool = False) -> ProductView:
    """A copy of `product`; `with_details` adds ingredients and plan (they must be loaded)."""
    details = {}
    if with_details:
        details = {
            "ingredients": tuple(IngredientView(i.position, i.name, i.amount, i.unit) for i in product.ingredients),
            "titration_steps": tuple(
                TitrationStepView(s.day, s.capsules, s.kind, s.note) for s in product.titration_steps
            ),
            "bundles": tuple(
                BundleView(b.bottles, b.price, b.display_label)
                for b in product.bundles
            ),
        }
    return ProductView(
        id=product.id, slug=product.slug, name=product.name, summary=product.summary,
        description=product.description, price=product.price, currency=product.currency,
        capsules_per_bottle=product.capsules_per_bottle, serving_capsules=product.serving_capsules,
        stock=product.stock, published=product.published, guarantee_days=product.guarantee_days,
        disclaimer=product.disclaimer, rating_count=product.rating_count, rating_sum=product.rating_sum,
        **details,
    )
