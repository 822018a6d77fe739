"""Storefront pages: home, catalogue, product.

The parts of a page that are the same for every visitor (the product grid, the product's
description, plan and ingredients) are rendered once per catalogue version and cached with it;
the page around them renders per request, so the sections other domains add (forms with
per-session CSRF tokens, flash messages, the cart) are never shared between visitors.
"""
from flask import Blueprint, render_template, request
from markupsafe import Markup

from shop.catalog import services
from shop.catalog.cache import cached
from shop.catalog.presenters import product_json_ld, titration_weeks
from shop.catalog.sections import sections_for

bp = Blueprint("catalog", __name__)

PER_PAGE = 24


@bp.get("/")
def home():
    products = services.catalogue_page(1, 4).items
    featured = products[0] if products else None
    grid = _fragment(("home-grid",), "catalog/_grid.html", products=products[1:])
    return render_template("catalog/home.html", featured=featured, products=products, grid=grid)


@bp.get("/products")
def product_list():
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), 100_000)
    q = (request.args.get("q") or "")[:200].strip()
    result = services.catalogue_page(page, PER_PAGE, q)
    pages = max(1, -(-result.total // PER_PAGE))
    grid = _fragment(("grid", page, q.lower()), "catalog/_grid.html", products=result.items)
    return render_template("catalog/list.html", products=result.items, total=result.total,
                           page=page, pages=pages, q=q, grid=grid)


@bp.get("/products/<slug>")
def product_detail(slug):
    product = services.product_details(slug)
    fragments = cached(("product-html", slug), lambda: {
        "head": _rendered("catalog/_product_head.html", product=product),
        "body": _rendered("catalog/_product_body.html", product=product, weeks=titration_weeks(product)),
        "json_ld": _rendered("catalog/_json_ld.txt", data=product_json_ld(product)),
    })
    return render_template("catalog/detail.html", product=product, fragments=fragments,
                           sections=sections_for(product))


def _fragment(key, template: str, **context) -> Markup:
    return cached(key, lambda: _rendered(template, **context))


def _rendered(template: str, **context) -> Markup:
    # Jinja autoescaped every value while rendering; the output is HTML to insert as it is.
    return Markup(render_template(template, **context))  # nosec: B704
