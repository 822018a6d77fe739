"""/api/v1/products/<slug>/reviews (public) and /api/v1/admin/... (support staff)."""
from flask import g

from shop.accounts.auth import staff_token_required
from shop.accounts.models import ROLE_SUPPORT
from shop.api_utils import api_blueprint
from shop.catalog.services import get_published_product, published_product_id
from shop.reviews import limits, listing, moderation, services
from shop.reviews.proof import buyer_proof
from shop.reviews.schemas import (
    AdminEntryListSchema,
    AdminEntrySchema,
    StaffAnswerSchema,
    EntryCreatedSchema,
    EntryCreateSchema,
    EntryListSchema,
    ReviewListQuerySchema,
    QuestionQuerySchema,
)

blp = api_blueprint("reviews_api", __name__, "/products", "Reviews and questions of a product")
admin_blp = api_blueprint("reviews_admin_api", __name__, "/admin",
                          "Moderating reviews and answering questions (support or admin)")


@blp.route("/<string:slug>/reviews", methods=["GET"])
@blp.arguments(ReviewListQuerySchema, location="query")
@blp.response(200, EntryListSchema)
@blp.alt_response(404, description="Unknown or unpublished product")
def list_entries(args, slug):
    """Published reviews or questions, newest first, each with its published replies."""
    product_id = published_product_id(slug)
    return {"items": listing.published_threads(product_id, args["kind"], args["page"], args["per_page"])}


@blp.route("/<string:slug>/reviews", methods=["POST"])
@blp.doc(parameters=[{"in": "header", "name": "X-Order-Token", "required": False, "schema": {"type": "string"},
                      "description": "The token of a paid order of this product: the entry shows a verified buyer"}])
@limits.per_ip
@limits.per_email
@blp.arguments(EntryCreateSchema)
@blp.response(201, EntryCreatedSchema)
@blp.alt_response(422, description="Validation failed (field messages in `errors`)")
@blp.alt_response(429, description="Too many posts from this address or email")
def create_entry(data, slug):
    """Submit a review, a question, or a reply (`parent_id`); it waits for moderation.

    The same email posting the same text about the same product within a day gets the first
    entry back (201, same id) rather than a duplicate. With the header `X-Order-Token` of a
    paid order of the product, the entry shows that its author bought it (`verified_buyer`).
    """
    product = get_published_product(slug)
    entry, _ = services.submit_entry(product, proof=buyer_proof(), **data)
    return {"id": entry.id, "status": entry.status}


@admin_blp.route("/questions", methods=["GET"])
@staff_token_required(ROLE_SUPPORT)
@admin_blp.arguments(QuestionQuerySchema, location="query")
@admin_blp.response(200, AdminEntryListSchema)
def unanswered_questions(args):
    """Questions without a staff answer, in moderation or published, oldest first."""
    return {"items": listing.threads_of(moderation.unanswered_questions())}


@admin_blp.route("/reviews/<int:entry_id>/publish", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@admin_blp.response(200, AdminEntrySchema)
def publish(entry_id):
    """Publish a review, question or reply (a no-op when already published)."""
    entry = moderation.publish_entry(entry_id, g.staff)
    return listing.threads_of([entry])[0]


@admin_blp.route("/reviews/<int:entry_id>/reject", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@admin_blp.response(200, AdminEntrySchema)
def reject(entry_id):
    """Reject (or unpublish) an entry; it leaves the page and the product's rating."""
    entry = moderation.reject_entry(entry_id, g.staff)
    return listing.threads_of([entry])[0]


@admin_blp.route("/reviews/<int:entry_id>/answer", methods=["POST"])
@staff_token_required(ROLE_SUPPORT)
@admin_blp.arguments(StaffAnswerSchema)
@admin_blp.response(201, AdminEntrySchema)
def answer(data, entry_id):
    """Publish a staff answer; a question in moderation is published with it and its asker
    is emailed once with a link to the answer."""
    reply = moderation.answer_question(entry_id, g.staff, data["body"])
    return listing.Thread(reply)
