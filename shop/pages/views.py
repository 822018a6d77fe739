"""GET /pages/<slug>: the store's policy pages, the same for every visitor (kept like the catalogue)."""
from email.utils import parseaddr

from flask import Blueprint, current_app, render_template

from shop.catalog.http_cache import public_page
from shop.pages.defaults import FOOTER_LABELS, POLICY_SLUGS
from shop.pages.services import policy_page

bp = Blueprint("pages", __name__)


@bp.app_template_global()
def policy_links() -> list[tuple[str, str]]:
    """(slug, label) of every policy page, for the storefront's footer (no query: fixed slugs)."""
    return [(slug, FOOTER_LABELS[slug]) for slug in POLICY_SLUGS]


@bp.get("/pages/<slug>")
@public_page
def page(slug):
    shown = policy_page(slug)
    contact = None
    if slug == "contact":
        contact = {"address": current_app.config.get("STORE_POSTAL_ADDRESS"),
                   "email": parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]}
    return render_template("pages/page.html", page=shown, contact=contact)
