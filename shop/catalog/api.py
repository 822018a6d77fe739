"""GET /api/v1/products and /api/v1/products/<slug>."""
from shop.api_utils import api_blueprint
from shop.catalog import services
from shop.catalog.schemas import ProductDetailSchema, ProductPageSchema, ProductQuerySchema

blp = api_blueprint("catalog_api", __name__, "/products", "The published product catalogue")


@blp.route("")
@blp.arguments(ProductQuerySchema, location="query")
@blp.response(200, ProductPageSchema)
def list_products(args):
    """Published products, by name; `q` searches name and summary (case-insensitive)."""
    items, total = services.list_products(args["page"], args["per_page"], args["q"])
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/<string:slug>")
@blp.response(200, ProductDetailSchema)
@blp.alt_response(404, description="Unknown or unpublished product")
def get_product(slug):
    """One published product with ingredients, titration plan and disclaimer."""
    return services.get_published_product(slug)
