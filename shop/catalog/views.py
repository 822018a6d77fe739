"""Storefront pages: home, catalogue, product."""
from flask import Blueprint, render_template, request

from shop.catalog import services
from shop.catalog.presenters import product_json_ld, titration_weeks
from shop.catalog.sections import sections_for

bp = Blueprint("catalog", __name__)

PER_PAGE = 24


@bp.get("/")
def home():
    products, _ = services.list_products(1, 4)
    featured = products[0] if products else None
    return render_template("catalog/home.html", featured=featured, products=products)


@bp.get("/products")
def product_list():
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), 100_000)
    q = (request.args.get("q") or "")[:200]
    products, total = services.list_products(page, PER_PAGE, q)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("catalog/list.html", products=products, total=total, page=page, pages=pages, q=q)


@bp.get("/products/<slug>")
def product_detail(slug):
    product = services.get_published_product(slug)
    return render_template(
        "catalog/detail.html",
        product=product,
        weeks=titration_weeks(product),
        json_ld=product_json_ld(product),
        sections=sections_for(product),
    )
