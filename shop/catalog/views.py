"""Storefront pages: home, catalogue, product.

They render per request from cached catalogue data (never cached HTML: sections of other
domains put forms with per-session CSRF tokens on the product page).
"""
from flask import Blueprint, render_template, request

from shop.catalog import services
from shop.catalog.presenters import product_json_ld, titration_weeks
from shop.catalog.sections import sections_for

bp = Blueprint("catalog", __name__)

PER_PAGE = 24


@bp.get("/")
def home():
    products = services.catalogue_page(1, 4).items
    featured = products[0] if products else None
    return render_template("catalog/home.html", featured=featured, products=products)


@bp.get("/products")
def product_list():
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), 100_000)
    q = (request.args.get("q") or "")[:200].strip()
    result = services.catalogue_page(page, PER_PAGE, q)
    pages = max(1, -(-result.total // PER_PAGE))
    return render_template("catalog/list.html", products=result.items, total=result.total,
                           page=page, pages=pages, q=q)


@bp.get("/products/<slug>")
def product_detail(slug):
    product = services.product_details(slug)
    return render_template(
        "catalog/detail.html",
        product=product,
        weeks=titration_weeks(product),
        json_ld=product_json_ld(product),
        sections=sections_for(product),
    )
