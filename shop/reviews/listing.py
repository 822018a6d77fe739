"""Reading what is published: the API's threads and the product page's single query."""
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select, union_all

from shop.catalog.models import Product
from shop.extensions import db
from shop.pagination import one_page
from shop.reviews.models import KIND_QUESTION, KIND_REVIEW, PUBLISHED, Entry


@dataclass
class Thread:
    entry: Entry
    replies: list[Entry] = field(default_factory=list)

    def __getattr__(self, name):
        # Serialises as the entry itself plus `replies` (the API's Entry).
        if name == "entry":
            raise AttributeError(name)
        return getattr(self.entry, name)


@dataclass
class ProductThreads:
    """What the product page shows: one page of reviews, one of questions, the star counts."""

    reviews: list[Thread]
    questions: list[Thread]
    stars: dict[int, int]  # {5: 12, 4: 3, ...} over every published review
    question_count: int

    @property
    def review_count(self) -> int:
        return sum(self.stars.values())

    @property
    def rating_average(self) -> float | None:
        if not self.review_count:
            return None
        return round(sum(n * count for n, count in self.stars.items()) / self.review_count, 2)


def _published_top_level(product_id: int):
    return (Entry.product_id == product_id, Entry.parent_id.is_(None), Entry.status == PUBLISHED)


def published_threads(product_id: int, kind: str | None, page: int = 1, per_page: int = 100) -> list[Thread]:
    """Published top-level entries, newest first, each with its published replies (oldest first):
    two statements, the page and its replies, however many entries the product has."""
    query = select(Entry).where(*_published_top_level(product_id))
    if kind:
        query = query.where(Entry.kind == kind)
    newest_first = query.order_by(Entry.created_at.desc(), Entry.id.desc())
    entries = db.session.scalars(one_page(newest_first, page, per_page)).all()
    return threads_of(entries)


def threads_of(entries: list[Entry]) -> list[Thread]:
    """The given top-level entries with their published replies (one query)."""
    threads = {entry.id: Thread(entry) for entry in entries}
    if threads:
        replies = db.session.scalars(
            select(Entry)
            .where(Entry.parent_id.in_(list(threads)), Entry.status == PUBLISHED)
            .order_by(Entry.created_at, Entry.id)
        )
        for reply in replies:
            threads[reply.parent_id].replies.append(reply)
    return list(threads.values())


def product_page_threads(product: Product, reviews_page: int, questions_page: int,
                         per_page: int) -> ProductThreads:
    """Everything the product page shows, in ONE query, whatever the number of reviews.

    The catalogue page has a budget of four queries and spends three on the product itself.
    So the star counts (a one-row aggregate) are LEFT JOINed with the entries to show: the two
    pages of top-level entries and their replies. The aggregate row makes sure the counts
    arrive even when the page holds no entry at all.
    """
    top_level = _published_top_level(product.id)
    counts = select(
        *[func.count(case((and_(Entry.kind == KIND_REVIEW, Entry.rating == n), 1))).label(f"stars_{n}")
          for n in range(1, 6)],
        func.count(case((Entry.kind == KIND_QUESTION, 1))).label("questions"),
    ).where(*top_level).subquery("counts")

    def page_of(kind: str, page: int):
        ids = one_page(select(Entry.id).where(*top_level, Entry.kind == kind)
                       .order_by(Entry.created_at.desc(), Entry.id.desc()), page, per_page).subquery()
        return select(ids.c.id)

    shown = union_all(page_of(KIND_REVIEW, reviews_page), page_of(KIND_QUESTION, questions_page)).cte("shown")
    rows = db.session.execute(
        select(counts, Entry)
        .select_from(counts)
        .outerjoin(Entry, and_(
            Entry.status == PUBLISHED,
            or_(Entry.id.in_(select(shown.c.id)), Entry.parent_id.in_(select(shown.c.id))),
        ))
        .order_by(Entry.created_at, Entry.id)
    ).all()
    first = rows[0]
    stars = {n: getattr(first, f"stars_{n}") for n in range(5, 0, -1)}
    entries = [row.Entry for row in rows if row.Entry is not None]
    threads = {e.id: Thread(e) for e in reversed(entries) if e.parent_id is None}  # newest first
    for entry in entries:
        if entry.parent_id is not None and entry.parent_id in threads:
            threads[entry.parent_id].replies.append(entry)
    return ProductThreads(
        reviews=[t for t in threads.values() if t.entry.kind == KIND_REVIEW],
        questions=[t for t in threads.values() if t.entry.kind == KIND_QUESTION],
        stars=stars,
        question_count=first.questions,
    )


def page_of_entry(entry: Entry, per_page: int) -> int:
    """Which page of its kind a published top-level entry is on (newest first)."""
    newer = db.session.scalar(
        select(func.count(Entry.id)).where(
            *_published_top_level(entry.product_id), Entry.kind == entry.kind,
            or_(Entry.created_at > entry.created_at,
                and_(Entry.created_at == entry.created_at, Entry.id > entry.id)),
        )
    )
    return newer // per_page + 1
