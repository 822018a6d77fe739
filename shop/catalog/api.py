"""GET /api/v1/products and /api/v1/products/<slug>.

The answers are plain functions of the catalogue, so their JSON is cached as bytes with it
(shop/catalog/cache.py), and whole answers are kept with an ETag (shop/catalog/http_cache.py):
a warm request reads the catalogue version and sends the bytes, or a 304.
"""
import json

from flask import current_app

from shop.api_utils import api_blueprint
from shop.catalog import services
from shop.catalog.cache import cached
from shop.catalog.http_cache import public_answer
from shop.catalog.schemas import ProductDetailSchema, ProductPageSchema, ProductQuerySchema

blp = api_blueprint("catalog_api", __name__, "/products", "The published product catalogue")

_page_schema = ProductPageSchema()
_detail_schema = ProductDetailSchema()


@blp.route("")
@public_answer
@blp.arguments(ProductQuerySchema(), location="query")  # an instance: not rebuilt per request
@blp.response(200, ProductPageSchema)
def list_products(args):
    """Published products, by name; or, with `q`, the products it finds, best match first.

    `q` searches name, summary, description and ingredient names; every word must match, and
    a product whose name holds the text ranks first. On PostgreSQL a word one letter off still
    matches (trigram similarity).
    """
    page, per_page, q = args["page"], args["per_page"], (args["q"] or "").strip()

    def body() -> bytes:
        result = services.catalogue_page(page, per_page, q)
        return _dump(_page_schema, {"items": result.items, "total": result.total, "page": page, "per_page": per_page})

    return _json(cached(("api-page", page, per_page, q.lower()), body))


@blp.route("/<string:slug>")
@public_answer
@blp.response(200, ProductDetailSchema)
@blp.alt_response(404, description="Unknown or unpublished product")
def get_product(slug):
    """One published product with ingredients, titration plan and disclaimer."""
    return _json(cached(("api-product", slug), lambda: _dump(_detail_schema, services.product_details(slug))))


def _dump(schema, data) -> bytes:
    return json.dumps(schema.dump(data), separators=(",", ":"), ensure_ascii=False).encode()


def _json(body: bytes):
    return current_app.response_class(body, mimetype="application/json")
