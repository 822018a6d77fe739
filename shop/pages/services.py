"""Reading and editing the policy pages. A page staff never saved reads as its default."""
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select

from shop.catalog.cache import cached
from shop.errors import NotFound, Unprocessable
from shop.extensions import db
from shop.pages import text
from shop.pages.defaults import DEFAULT_PAGES, POLICY_SLUGS
from shop.pages.models import PolicyPage

MAX_TITLE = 200
MAX_BODY = 50_000


@dataclass(frozen=True)
class PageView:
    slug: str
    title: str
    body: str
    updated_at: datetime | None  # None: the default, never saved

    @property
    def html(self) -> Markup:
        return text.render(self.body)


def policy_page(slug: str) -> PageView:
    """One policy page as shown (cached with the catalogue); NotFound for any other slug."""
    if slug not in POLICY_SLUGS:
        raise NotFound("Page not found")
    return next(page for page in policy_pages() if page.slug == slug)


def policy_pages() -> tuple[PageView, ...]:
    """Every policy page, in footer order (one query when cold)."""

    def load() -> tuple[PageView, ...]:
        saved = {page.slug: page for page in db.session.scalars(select(PolicyPage))}
        return tuple(_view(slug, saved.get(slug)) for slug in POLICY_SLUGS)

    return cached(("policy-pages",), load)


def _view(slug: str, row: PolicyPage | None) -> PageView:
    if row is None:
        title, body = DEFAULT_PAGES[slug]
        return PageView(slug, title, body, None)
    return PageView(slug, row.title, row.body, row.updated_at)


def save_policy_page(slug: str, title: str, body: str) -> PolicyPage:
    """Staff's new title and text for a policy page (shown at once, safely: shop.pages.text)."""
    if slug not in POLICY_SLUGS:
        raise NotFound("Page not found")
    title, body = " ".join((title or "").split()), (body or "").replace("\r\n", "\n").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Required field missing"]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters"]
    if not body:
        errors["body"] = ["Required field missing"]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters"]
    if errors:
        raise Unprocessable("Please correct the highlighted fields", errors=errors)
    page = db.session.scalar(select(PolicyPage).where(PolicyPage.slug == slug))
    if page is None:
        page = PolicyPage(slug=slug)
        db.session.add(page)
    page.title, page.body = title, body
    db.session.flush()
    return page
