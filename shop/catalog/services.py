"""Reading the catalogue: search, pages of products, one product with its plan."""
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from shop.catalog.models import Product
from shop.errors import NotFound
from shop.extensions import db


def escape_like(text: str) -> str:
    """Make `%`, `_` and the escape character itself match literally in LIKE."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def published_products_query(q: str | None):
    query = select(Product).where(Product.published.is_(True))
    q = (q or "").strip()
    if q:
        pattern = f"%{escape_like(q.lower())}%"
        query = query.where(
            or_(
                func.lower(Product.name).like(pattern, escape="\\"),
                func.lower(Product.summary).like(pattern, escape="\\"),
            )
        )
    return query


def list_products(page: int = 1, per_page: int = 24, q: str | None = None) -> tuple[list[Product], int]:
    """One page of published products, by name, and how many match in all."""
    query = published_products_query(q)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.order_by(Product.name, Product.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(items), total


def get_published_product(slug: str) -> Product:
    product = db.session.scalar(
        select(Product)
        .where(Product.slug == slug, Product.published.is_(True))
        .options(selectinload(Product.ingredients), selectinload(Product.titration_steps))
    )
    if product is None:
        raise NotFound("Product not found")
    return product
