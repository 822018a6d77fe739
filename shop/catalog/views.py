"""Storefront pages: home, catalogue, collections, product.

The home and catalogue pages are the same for every visitor with no flash message waiting: they
are kept whole, with an ETag (shop/catalog/http_cache.py). Otherwise the parts of a page that are
the same for every visitor (the product grid, the product's description, plan and ingredients)
are rendered once per catalogue version and cached with it; the page around them renders per
request, so what belongs to one visitor (flash messages, a form they posted back with its
errors) is never shared.

The product page, the one most visited, goes further: a plain visit (a GET of the page itself,
no query, no message waiting in the session) is the same HTML for everyone but for the CSRF
token of its forms. It is rendered once per catalogue version with a placeholder where the
token goes, and each visit gets a copy with its own token put in.
"""
import secrets

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from shop.catalog import alerts, services
from shop.catalog.cache import cached
from shop.catalog.collections import collection_page, published_collections
from shop.catalog.http_cache import public_page
from shop.catalog.advice import doctor_signs
from shop.catalog.presenters import product_json_ld, titration_weeks
from shop.catalog.snapshots import supplement_facts
from shop.catalog.sections import sections_for
from shop.errors import NotFound, ShopError
from shop.extensions import limiter
from shop.pagination import page_count, page_number

bp = Blueprint("catalog", __name__)

PER_PAGE = 24


@bp.get("/")
@public_page
def home():
    products = services.featured_products(4)
    featured = products[0] if products else None
    grid = _fragment(("home-grid",), "catalog/_grid.html", products=products[1:], heading=3)
    return render_template("catalog/home.html", featured=featured, products=products, grid=grid,
                           collections=published_collections())


@bp.get("/collections/<slug>")
@public_page
def collection(slug):
    shown = collection_page(slug)
    grid = _fragment(("collection-grid", slug), "catalog/_grid.html", products=shown.products, heading=2)
    return render_template("catalog/collection.html", collection=shown, grid=grid)


@bp.get("/products")
@public_page
def product_list():
    page = page_number(request.args)
    q = (request.args.get("q") or "")[:200].strip()
    result = services.catalogue_page(page, PER_PAGE, q)
    pages = page_count(result.total, PER_PAGE)
    grid = _fragment(("grid", page, q.lower()), "catalog/_grid.html", products=result.items, heading=2)
    return render_template("catalog/list.html", products=result.items, total=result.total,
                           page=page, pages=pages, q=q, grid=grid)


# Stands where each visitor's CSRF token goes in a shared page (hex: nothing escapes it, and no
# product text can contain it by chance).
CSRF_HOLE = secrets.token_hex(24)


@bp.get("/products/<slug>")
def product_detail(slug):
    product = services.product_details(slug)
    if not _same_for_every_visitor():
        return _product_page(product)
    page = cached(("product-page", slug), lambda: _with_csrf_hole(_product_page, product))
    return page.replace(CSRF_HOLE, generate_csrf())


def _same_for_every_visitor() -> bool:
    """A GET of the bare page, with no flash message waiting (a POST re-renders with errors)."""
    return request.method in ("GET", "HEAD") and not request.args and "_flashes" not in session


def _with_csrf_hole(render, *args) -> str:
    # flask-wtf hands out the token it keeps in `g` for the request; while this page renders,
    # that is the placeholder.
    own = g.pop("csrf_token", None)
    g.csrf_token = CSRF_HOLE
    try:
        return render(*args)
    finally:
        g.pop("csrf_token", None)
        if own is not None:
            g.csrf_token = own


def _product_page(product) -> str:
    fragments = cached(("product-html", product.slug), lambda: {
        "head": _rendered("catalog/_product_head.html", product=product),
        "gallery": _rendered("catalog/_product_gallery.html", product=product),
        "body": _rendered("catalog/_product_body.html", product=product, weeks=titration_weeks(product),
                          facts=supplement_facts(product), doctor_signs=doctor_signs(product)),
        "json_ld": _rendered("catalog/_json_ld.txt", data=product_json_ld(product)),
    })
    return render_template("catalog/detail.html", product=product, fragments=fragments,
                           sections=sections_for(product))


def _fragment(key, template: str, **context) -> Markup:
    return cached(key, lambda: _rendered(template, **context))


def _rendered(template: str, **context) -> Markup:
    # Jinja autoescaped every value while rendering; the output is HTML to insert as it is.
    return Markup(render_template(template, **context))  # nosec: B704


def _back_in_stock_limit() -> str:
    return current_app.config.get("BACK_IN_STOCK_RATE_LIMIT") or "10/hour"


@bp.post("/products/<slug>/notify")
@limiter.limit(_back_in_stock_limit, key_func=get_remote_address, scope="back-in-stock-ip")
def back_in_stock(slug):
    """The out-of-stock page's "email me when it's back" form (303 back to the product page).

    The same thanks whether or not the address was already waiting: the form reveals nothing.
    """
    try:
        alerts.request_back_in_stock(slug, request.form.get("email", ""))
    except NotFound:
        raise
    except ShopError as exc:
        flash(exc.message, "error")
        return redirect(url_for("catalog.product_detail", slug=slug), 303)
    flash("Thank you: we will email you once when it is back in stock.", "success")
    return redirect(url_for("catalog.product_detail", slug=slug), 303)
