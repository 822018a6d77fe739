"""The product page's reviews and Q&A: the section, its form posts, votes and permalinks.

A form with errors is answered with the product page itself (422), the messages beside the
fields; an accepted one redirects back with a "waiting for moderation" note.
"""
import logging

from flask import Blueprint, flash, g, redirect, request, url_for

from shop.catalog.sections import register_section
from shop.catalog.services import get_published_product
from shop.reviews import limits, services
from shop.reviews.forms import QuestionForm, ReplyForm, ReviewForm
from shop.reviews.models import KIND_QUESTION, KIND_REVIEW
from shop.reviews.presenters import PER_PAGE, section_context
from shop.reviews.proof import buyer_proof

log = logging.getLogger(__name__)

bp = Blueprint("reviews", __name__)

VISITOR_COOKIE = "visitor"
VISITOR_COOKIE_DAYS = 365

register_section("reviews", "after", "reviews/section.html", context=section_context, order=50)


@bp.post("/products/<slug>/reviews")
@limits.per_ip
@limits.per_email
def post_review(slug):
    return _post(slug, ReviewForm(), KIND_REVIEW, "Thanks — your review is waiting for moderation", "reviews")


@bp.post("/products/<slug>/questions")
@limits.per_ip
@limits.per_email
def post_question(slug):
    return _post(slug, QuestionForm(), KIND_QUESTION, "Thanks — your question is waiting for moderation",
                 "questions")


@bp.post("/products/<slug>/entries/<int:entry_id>/replies")
@limits.per_ip
@limits.per_email
def post_reply(slug, entry_id):
    g.reply_to = entry_id
    return _post(slug, ReplyForm(), None, "Thanks — your reply is waiting for moderation",
                 f"entry-{entry_id}", parent_id=entry_id)


def _post(slug: str, form, kind: str | None, thanks: str, anchor: str, parent_id: int | None = None):
    product = get_published_product(slug)
    back = url_for("catalog.product_detail", slug=slug, _anchor=anchor)
    if form.is_submitted() and form.is_bot:
        # Answer as if accepted, so the bot learns nothing; keep nothing.
        log.info("Honeypot filled on %s; post dropped", request.path)
        flash(thanks, "success")
        return redirect(back, 303)
    if not form.validate_on_submit():
        g.review_forms = {type(form).__name__: form}
        return _page_with_errors(slug)
    services.submit_entry(product, kind=kind, parent_id=parent_id, proof=buyer_proof(), **form.entry_data())
    flash(thanks, "success")
    return redirect(back, 303)


def _page_with_errors(slug: str):
    from shop.catalog.views import product_detail

    return product_detail(slug), 422


@bp.post("/products/<slug>/entries/<int:entry_id>/helpful")
def vote_helpful(slug, entry_id):
    product = get_published_product(slug)
    voter = services.identify_voter(request.cookies.get(VISITOR_COOKIE), request.remote_addr,
                                    request.user_agent.string)
    counted = services.vote_helpful(product, entry_id, voter.digest)
    flash("Thanks for your vote" if counted else "You have already voted for this review", "success")
    response = redirect(url_for("catalog.product_detail", slug=slug, _anchor=f"entry-{entry_id}"), 303)
    response.set_cookie(VISITOR_COOKIE, voter.visitor, max_age=VISITOR_COOKIE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/reviews/confirm/<token>")
def confirm_buyer(token):
    """The link emailed to a buyer whose address was given with a post: it was them."""
    entry = services.confirm_buyer(token)
    flash("Thanks — your post now shows that you bought this product.", "success")
    return redirect(url_for("catalog.product_detail", slug=entry.product.slug), 303)


@bp.get("/products/<slug>/entries/<int:entry_id>")
def entry_permalink(slug, entry_id):
    """A stable link to an entry (emails use it): the page of the product where it is shown."""
    place = services.place_of_entry(get_published_product(slug), entry_id, PER_PAGE)
    param = "reviews_page" if place.kind == KIND_REVIEW else "questions_page"
    args = {param: place.page} if place.page > 1 else {}
    return redirect(url_for("catalog.product_detail", slug=slug, _anchor=f"entry-{place.entry_id}", **args))
