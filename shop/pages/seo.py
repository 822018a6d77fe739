"""For search engines: GET /sitemap.xml (every published page worth finding) and GET /robots.txt.

The sitemap is the same for everyone and kept with the catalogue (shop/catalog/http_cache.py), so
a crawler's visits cost nothing until a product, collection or policy page changes.
"""
from flask import Blueprint, current_app, url_for
from markupsafe import escape
from sqlalchemy import select

from shop.catalog.http_cache import public_page
from shop.catalog.models import Collection, Product
from shop.db import as_utc
from shop.extensions import db
from shop.pages.services import policy_pages

bp = Blueprint("seo", __name__)

# Where crawlers have no business: staff screens, the API, carts, orders and signed email links.
DISALLOWED = ("/admin/", "/api/", "/cart", "/checkout/", "/orders/", "/followups/")


@bp.get("/sitemap.xml")
@public_page
def sitemap():
    base = current_app.config["PUBLIC_URL"]
    entries = [(base + url_for("catalog.home"), None), (base + url_for("catalog.product_list"), None)]
    products = db.session.execute(
        select(Product.slug, Product.updated_at).where(Product.published.is_(True)).order_by(Product.slug))
    entries += [(base + url_for("catalog.product_detail", slug=slug), changed) for slug, changed in products]
    collections = db.session.execute(
        select(Collection.slug, Collection.updated_at).where(Collection.published.is_(True)).order_by(Collection.slug))
    entries += [(base + url_for("catalog.collection", slug=slug), changed) for slug, changed in collections]
    entries += [(base + url_for("pages.page", slug=page.slug), page.updated_at) for page in policy_pages()]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for location, changed in entries:
        lastmod = f"<lastmod>{as_utc(changed).date().isoformat()}</lastmod>" if changed else ""
        lines.append(f"  <url><loc>{escape(location)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return current_app.response_class("\n".join(lines) + "\n", mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    rules = "\n".join(f"Disallow: {path}" for path in DISALLOWED)
    body = f"User-agent: *\n{rules}\n\nSitemap: {current_app.config['PUBLIC_URL']}/sitemap.xml\n"
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
