"""Collections ("Sleep", "Daily"): shelves of products with a page each, managed by staff.

Reading goes through the catalogue cache like every other catalogue page; editing follows
admin_services: everything is checked first, a refusal changes nothing, functions only flush.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.admin_services import SLUG_PATTERN
from shop.catalog.cache import cached
from shop.catalog.models import Collection, CollectionProduct, Product
from shop.catalog.snapshots import ProductView, product_view
from shop.errors import NotFound, Unprocessable
from shop.extensions import db


@dataclass(frozen=True)
class CollectionView:
    slug: str
    name: str
    description: str
    products: tuple[ProductView, ...] = ()


def published_collections() -> tuple[CollectionView, ...]:
    """Every published collection, in staff's order, without its products (one query when cold)."""

    def load() -> tuple[CollectionView, ...]:
        rows = db.session.scalars(select(Collection).where(Collection.published.is_(True))
                                  .order_by(Collection.position, Collection.name))
        return tuple(CollectionView(c.slug, c.name, c.description) for c in rows)

    return cached(("collections",), load)


def collection_page(slug: str) -> CollectionView:
    """A published collection with its published products, in order; NotFound otherwise."""

    def load() -> CollectionView | None:
        collection = db.session.scalars(
            select(Collection).where(Collection.slug == slug, Collection.published.is_(True))
            .options(joinedload(Collection.entries).joinedload(CollectionProduct.product)
                     .selectinload(Product.images))
            .execution_options(populate_existing=True)
        ).unique().one_or_none()
        if collection is None:
            return None
        products = tuple(product_view(entry.product) for entry in collection.entries if entry.product.published)
        return CollectionView(collection.slug, collection.name, collection.description, products)

    view = cached(("collection", slug), load)
    if view is None:
        raise NotFound("Collection not found")
    return view


# --- staff --------------------------------------------------------------------------------------

def list_collections() -> list[Collection]:
    return list(db.session.scalars(select(Collection).options(selectinload(Collection.entries))
                                   .order_by(Collection.position, Collection.name)))


def get_collection(collection_id: int) -> Collection:
    collection = db.session.scalar(select(Collection).where(Collection.id == collection_id)
                                   .options(selectinload(Collection.entries)))
    if collection is None:
        raise NotFound("Collection not found")
    return collection


def save_collection(collection: Collection | None, fields: dict, product_ids: list[int]) -> Collection:
    """Create (`collection` None) or change a collection and which products it holds, in order."""
    slug = (fields.get("slug") or "").strip().lower()
    name = " ".join((fields.get("name") or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Required field missing"]
    elif len(name) > 200:
        errors["name"] = ["At most 200 characters"]
    if not slug:
        errors["slug"] = ["Required field missing"]
    elif len(slug) > 120 or not SLUG_PATTERN.match(slug):
        errors["slug"] = ["Use lower-case letters, digits and single hyphens (e.g. sleep)"]
    elif db.session.scalar(select(Collection.id).where(Collection.slug == slug,
                                                       Collection.id != (collection.id if collection else -1))):
        errors["slug"] = ["Another collection uses this slug"]
    position = fields.get("position") or 0
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 10_000:
        errors["position"] = ["A whole number from 0 to 10000"]
    description = (fields.get("description") or "").strip()
    if len(description) > 5000:
        errors["description"] = ["At most 5000 characters"]
    wanted = list(dict.fromkeys(product_ids))
    known = set(db.session.scalars(select(Product.id).where(Product.id.in_(wanted)))) if wanted else set()
    if set(wanted) - known:
        errors["products"] = ["Unknown product"]
    if errors:
        raise Unprocessable("Please correct the highlighted fields", errors=errors)

    if collection is None:
        collection = Collection()
        db.session.add(collection)
    collection.slug, collection.name, collection.description = slug, name, description
    collection.published = bool(fields.get("published"))
    collection.position = position
    current = {entry.product_id: entry for entry in collection.entries}
    collection.entries = [current.get(product_id) or CollectionProduct(product_id=product_id)
                          for product_id in wanted]
    for position, entry in enumerate(collection.entries):
        entry.position = position
    db.session.flush()
    return collection


def delete_collection(collection: Collection) -> None:
    db.session.delete(collection)
    db.session.flush()
