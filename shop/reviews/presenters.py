"""How reviews and questions read on the product page, and to search engines (JSON-LD).

What the section shows is read once per catalogue version (`shop.catalog.cache.cached`: a new,
moderated or voted entry changes the version, `Entry.__affects_catalogue__`) and kept as plain,
immutable data. The forms and the JSON-LD (whose URLs follow the request's host) are built per
request; a form nobody posted is a `BlankForm`, rendered without instantiating WTForms.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g, request, url_for

from shop.catalog.cache import cached
from shop.catalog.models import Product
from shop.db import as_utc
from shop.pagination import page_count, page_number
from shop.reviews.listing import ProductThreads, product_page_threads

PER_PAGE = 10


@dataclass(frozen=True, slots=True)
class EntryView:
    """What the page shows of an entry (a detached copy, safe to share between requests)."""

    id: int
    kind: str
    rating: int | None
    name: str
    website: str | None
    body: str
    is_staff: bool
    verified_buyer: bool
    titration_stage: str | None
    helpful_count: int
    created_at: datetime

    @classmethod
    def of(cls, entry) -> "EntryView":
        return cls(entry.id, entry.kind, entry.rating, entry.name, entry.website, entry.body, entry.is_staff,
                   entry.verified_buyer, entry.titration_stage, entry.helpful_count or 0, as_utc(entry.created_at))


@dataclass(frozen=True, slots=True)
class ThreadView:
    entry: EntryView
    replies: tuple[EntryView, ...]


@dataclass(frozen=True, slots=True)
class ThreadsView:
    """`ProductThreads` as plain data: one page of reviews, one of questions, the star counts."""

    reviews: tuple[ThreadView, ...]
    questions: tuple[ThreadView, ...]
    stars: tuple[tuple[int, int], ...]
    question_count: int
    review_count: int
    rating_average: float | None

    @classmethod
    def of(cls, threads: ProductThreads) -> "ThreadsView":
        def view(thread) -> ThreadView:
            return ThreadView(EntryView.of(thread.entry), tuple(EntryView.of(r) for r in thread.replies))

        return cls(tuple(map(view, threads.reviews)), tuple(map(view, threads.questions)),
                   tuple(threads.stars.items()), threads.question_count, threads.review_count,
                   threads.rating_average)


def section_threads(product: Product, reviews_page: int, questions_page: int) -> ThreadsView:
    """The entries the section shows, from the catalogue cache (one query when it is cold)."""
    return cached(("reviews-section", product.id, reviews_page, questions_page, PER_PAGE),
                  lambda: ThreadsView.of(product_page_threads(product, reviews_page, questions_page, PER_PAGE)))


def section_context(product: Product) -> dict:
    """The reviews section of the product page: at most one query (see `product_page_threads`)."""
    from shop.reviews.forms import QuestionForm, ReplyForm, ReviewForm, blank_form, blank_fragment

    reviews_page = page_number(request.args, "reviews_page")
    questions_page = page_number(request.args, "questions_page")
    threads = section_threads(product, reviews_page, questions_page)
    posted = g.get("review_forms") or {}
    return {
        "threads": threads,
        "reviews_page": reviews_page,
        "reviews_pages": page_count(threads.review_count, PER_PAGE),
        "questions_page": questions_page,
        "questions_pages": page_count(threads.question_count, PER_PAGE),
        "review_form": posted.get("ReviewForm") or blank_form(ReviewForm),
        "question_form": posted.get("QuestionForm") or blank_form(QuestionForm),
        # A reply form with errors is shown open under the entry it answers.
        "reply_form": posted.get("ReplyForm"),
        "reply_to": g.get("reply_to"),
        "blank_reply_form": blank_form(ReplyForm),
        "fragment": blank_fragment,
        "json_ld": reviews_json_ld(product, threads),
    }


def reviews_json_ld(product: Product, threads: ThreadsView) -> list[dict]:
    """schema.org: this page's Reviews, and each question with its answers.

    The page has one Product node, the catalogue's (shop.catalog.presenters.product_json_ld, with
    the rating); each review names it by its `@id` rather than describing the product again.
    """
    # PUBLIC_URL, not the request's Host header: the page is cached and shared by every visitor.
    url = _public_url("catalog.product_detail", slug=product.slug)
    nodes: list[dict] = [
        {
            "@context": "https://schema.org",
            "@type": "Review",
            "itemReviewed": {"@id": url},
            "author": {"@type": "Person", "name": t.entry.name},
            "datePublished": as_utc(t.entry.created_at).date().isoformat(),
            "reviewBody": t.entry.body,
            "reviewRating": {"@type": "Rating", "ratingValue": t.entry.rating, "bestRating": 5, "worstRating": 1},
        }
        for t in threads.reviews
    ]
    for thread in threads.questions:
        answers = [_answer_node(reply, product.slug) for reply in thread.replies]
        question = {
            "@context": "https://schema.org",
            "@type": "Question",
            "name": thread.entry.body[:110],
            "text": thread.entry.body,
            "dateCreated": as_utc(thread.entry.created_at).isoformat(),
            "author": {"@type": "Person", "name": thread.entry.name},
            "answerCount": len(answers),
        }
        staff_answers = [a for a, reply in zip(answers, thread.replies, strict=True) if reply.is_staff]
        if staff_answers:
            question["acceptedAnswer"] = staff_answers[0]
        others = [a for a in answers if a is not question.get("acceptedAnswer")]
        if others:
            question["suggestedAnswer"] = others
        nodes.append(question)
    return nodes


def _answer_node(reply, slug: str) -> dict:
    author = {"@type": "Organization", "name": reply.name} if reply.is_staff else {"@type": "Person", "name": reply.name}
    return {
        "@type": "Answer",
        "text": reply.body,
        "dateCreated": as_utc(reply.created_at).isoformat(),
        "author": author,
        "url": _public_url("reviews.entry_permalink", slug=slug, entry_id=reply.id),
    }


def _public_url(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_URL"] + url_for(endpoint, **values)
