"""Pages of a long list: which page a visitor asked for, and that page of a query with the total.

Page numbers come from query strings anyone can type, so they are read forgivingly: a missing,
unreadable, zero or negative page is the first, and none goes past MAX_PAGE (an offset that
large would make the database walk millions of rows for an empty page).
"""
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from werkzeug.datastructures import MultiDict

from shop.extensions import db

MAX_PAGE = 100_000


def page_number(args: MultiDict, name: str = "page") -> int:
    """The page `args[name]` asks for (a request's `args`, or any MultiDict), from 1 to MAX_PAGE."""
    return clamp_page(args.get(name, 1, type=int))


def clamp_page(page: int | None) -> int:
    """A page number as a list can show it: 1 for nothing or less than 1, at most MAX_PAGE."""
    return min(max(page or 1, 1), MAX_PAGE)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill; an empty list still has its one (empty) page."""
    return max(1, -(-total // per_page))


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


def paginate(query: Select, page: int, per_page: int) -> Page:
    """One page of an ordered `select()` and how many rows it has in all (two queries).

    The query's execution options (`populate_existing`...) apply to the page's rows.
    """
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(one_page(query, page, per_page)).all()
    return Page(list(items), total, page, per_page)


def one_page(query: Select, page: int, per_page: int) -> Select:
    """The rows of page `page` of an ordered `select()`, as a statement (pages count from 1)."""
    return query.limit(per_page).offset((page - 1) * per_page)
