"""Reading the catalogue: search, pages of products, one product with its plan.

`list_products` and `get_published_product` return live ORM rows (for code that changes them,
such as the checkout); pages and the API read the cached copies of `catalogue_page` and
`product_details`.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.cache import cached
from shop.catalog.models import Bundle, Product
from shop.catalog.search import escape_like, search  # noqa: F401 (escape_like: other domains use it from here)
from shop.catalog.snapshots import CataloguePage, ProductView, product_view
from shop.errors import NotFound
from shop.db import dialect_of
from shop.extensions import db
from shop.pagination import Page, paginate


def published_products_query(q: str | None):
    """Published products; with `q`, those it finds (shop/catalog/search.py), best first,
    otherwise all of them by name."""
    query = select(Product).where(Product.published.is_(True))
    q = (q or "").strip()
    if q:
        return search(query, q, dialect_of(db.session()))
    return query.order_by(Product.name, Product.id)


def list_products(page: int = 1, per_page: int = 24, q: str | None = None, fresh: bool = False) -> Page:
    """One page of published products and how many match in all: by name, or for a search,
    best match first (a name match before the rest).

    `fresh` refreshes rows the session already holds from what the database says.
    """
    query = published_products_query(q).options(selectinload(Product.images))
    return paginate(query.execution_options(populate_existing=fresh), page, per_page)


def get_published_product(slug: str) -> Product:
    product = db.session.scalar(
        select(Product)
        .where(Product.slug == slug, Product.published.is_(True))
        .options(selectinload(Product.ingredients), selectinload(Product.titration_steps),
                 selectinload(Product.bundles))
    )
    if product is None:
        raise NotFound("Product not found")
    return product


def published_product_id(slug: str) -> int:
    """The id of the published product `slug` (one indexed look-up, nothing else loaded); NotFound
    otherwise. For lists that hang off a product, such as its reviews."""
    product_id = db.session.scalar(select(Product.id).where(Product.slug == slug, Product.published.is_(True)))
    if product_id is None:
        raise NotFound("Product not found")
    return product_id


def catalogue_page(page: int = 1, per_page: int = 24, q: str | None = None) -> CataloguePage:
    """One page of published products and the total, from the cache (2 queries when cold)."""
    q = (q or "").strip()

    def load() -> CataloguePage:
        result = list_products(page, per_page, q, fresh=True)
        return CataloguePage(tuple(product_view(p) for p in result.items), result.total)

    return cached(("page", page, per_page, q.lower()), load)


def featured_products(count: int) -> tuple[ProductView, ...]:
    """The first `count` published products, by name, for the home page (no total counted)."""

    def load() -> tuple[ProductView, ...]:
        rows = db.session.scalars(
            published_products_query(None).order_by(Product.name, Product.id).limit(count)
            .options(selectinload(Product.images)).execution_options(populate_existing=True))
        return tuple(product_view(p) for p in rows)

    return cached(("featured", count), load)


def product_details(slug: str) -> ProductView:
    """A published product with ingredients and plan, from the cache (2 queries when cold)."""

    def load() -> ProductView | None:
        product = db.session.scalars(
            select(Product)
            .where(Product.slug == slug, Product.published.is_(True))
            # Pictures and bundles join the ingredients' query: a page stays at four queries cold.
            # The rows multiply (ingredients × pictures × bundles, a few hundred at most) once per
            # catalogue version.
            .options(joinedload(Product.ingredients), joinedload(Product.images), joinedload(Product.bundles),
                     selectinload(Product.titration_steps))
            # A copy for everyone is made from the rows, not from objects this session holds.
            .execution_options(populate_existing=True)
        ).unique().one_or_none()
        return product_view(product, with_details=True) if product else None

    view = cached(("product", slug), load)
    if view is None:  # unknown slugs are cached too: a flood of them costs one query each
        raise NotFound("Product not found")
    return view


def bundle_name(product: Product, bundle: Bundle) -> str:
    """What an order line and Stripe's line item call a bundle: "Mag R&R — 3 bottles, save 15%"."""
    return f"{product.name} — {bundle.display_label}"[:200]
