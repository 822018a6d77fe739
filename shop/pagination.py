"""Pages of a list: which page a visitor asked for, and that page of a query with the total.

Page numbers come from query strings anyone can type, so they are read forgivingly: a missing,
unreadable, zero or negative page is the first, and none goes past MAX_PAGE (an offset that
large would make the database walk millions of rows for an empty page).

Lists that grow without bound (the admin's orders, emails, audit log, queues) page by keyset
instead: see `keyset_page` below.
"""
from dataclasses import dataclass

from sqlalchemy import Select, func, literal, select, tuple_
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


# --- long lists: keyset pages ----------------------------------------------------------------------
#
# The admin's long lists (orders, the email log, the audit log, the queues) grow by the million.
# An OFFSET makes the database walk and throw away every row before the page, and an exact
# count walks them all, on every page. So a long list is read by keyset: a page starts after
# (or before) a row named by its id, and the database seeks straight to it through the index
# that matches the list's order. The first OFFSET_PAGES pages still answer to `?page=N` (people
# and bookmarks use them; their offset is small); past those, the links carry `?after=<id>`.
# Totals are counted up to COUNT_CAP rows and shown as "10,000+" beyond.

OFFSET_PAGES = 20
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Cursor:
    """Where a page of a keyset list starts: a page number (the first pages), or a row's id."""

    page: int = 1
    after: int | None = None  # the rows that come after this one in the list's order
    before: int | None = None  # the rows that come before it (the "newer" / previous link)

    @property
    def first(self) -> bool:
        return self.after is None and self.before is None and self.page == 1


def page_cursor(args: MultiDict) -> Cursor:
    """The cursor a request's `args` ask for; anything unreadable is the first page."""
    after, before = _row_id(args.get("after")), _row_id(args.get("before"))
    if after is not None:
        return Cursor(after=after)
    if before is not None:
        return Cursor(before=before)
    return Cursor(page=min(page_number(args), OFFSET_PAGES))


def _row_id(value: str | None) -> int | None:
    # Ids are positive 32-bit (PostgreSQL's integer); a larger one names no row.
    return int(value) if value and value.isdigit() and 0 < int(value) <= 2**31 - 1 else None


@dataclass(frozen=True)
class SortKey:
    """A list's order: its sort columns, the last of them the unique id, all one way."""

    columns: tuple
    descending: bool = False

    @property
    def id_column(self):
        return self.columns[-1]

    def clauses(self, reverse: bool = False) -> list:
        down = self.descending != reverse
        return [column.desc() if down else column.asc() for column in self.columns]


@dataclass
class KeysetPage:
    """A page of a keyset list, with what its links need."""

    items: list
    total: int  # counted up to COUNT_CAP + 1: more than COUNT_CAP reads "10,000+"
    per_page: int
    cursor: Cursor
    has_previous: bool
    has_next: bool

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def total_label(self) -> str:
        """The total as a list's caption says it: "1,234", or "10,000+" past the cap."""
        return f"{COUNT_CAP:,}+" if self.total_capped else f"{self.total:,}"

    @property
    def page(self) -> int | None:
        """The page number, when the page was asked for by number (else None)."""
        return self.cursor.page if self.cursor.after is None and self.cursor.before is None else None

    @property
    def pages(self) -> int | None:
        """How many pages there are, when the total is exact."""
        return None if self.total_capped else page_count(self.total, self.per_page)

    def previous_args(self) -> dict:
        if not self.has_previous:
            return {}
        if self.page is not None:
            return {"page": self.page - 1} if self.page > 2 else {}
        return {"before": _id_of(self.items[0])} if self.items else {}

    def next_args(self) -> dict:
        if not self.has_next:
            return {}
        if self.page is not None and self.page < OFFSET_PAGES:
            return {"page": self.page + 1}
        return {"after": _id_of(self.items[-1])}

    def args(self) -> dict:
        """The query arguments that open this very page again (for a form's way back)."""
        if self.cursor.after is not None:
            return {"after": self.cursor.after}
        if self.cursor.before is not None:
            return {"before": self.cursor.before}
        return {"page": self.page} if self.page and self.page > 1 else {}


def _id_of(item) -> int:
    return item.id if hasattr(item, "id") else item[0].id


def keyset_page(query: Select, order: SortKey, cursor: Cursor, per_page: int, *, count: bool = True) -> KeysetPage:
    """One page of `query` (a `select()` without ORDER BY) in `order`, from `cursor`.

    At most four short queries, whatever the list's length: the cursor row's sort key (a primary
    key look-up), the page (one row more than shown, to know whether there is a next), the row
    just before it (whether there is a previous), and the total up to COUNT_CAP.
    """
    total = count_at_most(query) if count else 0
    if cursor.after is None and cursor.before is None:
        offset = (cursor.page - 1) * per_page
        rows = list(db.session.scalars(query.order_by(*order.clauses()).limit(per_page + 1).offset(offset)))
        return KeysetPage(rows[:per_page], total, per_page, cursor, cursor.page > 1, len(rows) > per_page)
    anchor_id = cursor.after if cursor.after is not None else cursor.before
    anchor = db.session.execute(select(*order.columns).where(order.id_column == anchor_id)).first()
    if anchor is None:  # the row is gone (erased): start from the top
        return keyset_page(query, order, Cursor(), per_page, count=count)
    forward = cursor.after is not None
    rows = list(db.session.scalars(
        query.where(_beyond(order, tuple(anchor), forward)).order_by(*order.clauses(reverse=not forward))
        .limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if forward:
        # Coming from an earlier page, there is one before this (the anchor itself at least).
        return KeysetPage(rows, total, per_page, cursor, True, more)
    if not rows:  # nothing comes before the first row: that is the first page
        return keyset_page(query, order, Cursor(), per_page, count=count)
    rows.reverse()
    return KeysetPage(rows, total, per_page, cursor, more, True)


def _beyond(order: SortKey, key: tuple, forward: bool):
    """Rows after `key` in `order` (forward), or before it: one row-value comparison, which
    the index on the same columns answers with a single seek."""
    values = tuple_(*[literal(value, type_=column.type) for value, column in zip(key, order.columns)])
    later = tuple_(*order.columns) < values if order.descending else tuple_(*order.columns) > values
    earlier = tuple_(*order.columns) > values if order.descending else tuple_(*order.columns) < values
    return later if forward else earlier


def count_at_most(query: Select, cap: int = COUNT_CAP) -> int:
    """How many rows `query` has, counting no further than `cap` + 1 (more reads "cap+")."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).limit(cap + 1).subquery())) or 0
