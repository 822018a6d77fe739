"""The email log (and development outbox): what each customer was sent, and resending."""
from flask import flash, make_response, redirect, render_template, request, url_for

from shop.admin import queries
from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.emails.models import STATUSES
from shop.emails.services import can_resend, needing_attention, resend_email
from shop.errors import ShopError
from shop.pagination import page_cursor
from shop.security import view_policy

PER_PAGE = 50


@bp.get("/emails")
@roles(*SUPPORT)
def emails():
    to = (request.args.get("to") or "")[:254]
    status = request.args.get("status") or ""
    status = status if status in STATUSES else ""
    kind = (request.args.get("kind") or "")[:50]
    result = queries.search_emails(to, status, kind, page_cursor(request.args), PER_PAGE)
    return render_template("admin/emails/list.html", result=result, to=to, status=status, kind=kind,
                           statuses=STATUSES, attention=needing_attention(result.items))


@bp.get("/emails/<int:message_id>")
@roles(*SUPPORT)
def email_detail(message_id):
    message = queries.get_email(message_id)
    return render_template("admin/emails/detail.html", message=message, can_resend=can_resend(message))


@bp.get("/emails/<int:message_id>/html")
@view_policy(
    frame_options="SAMEORIGIN",
    content_security_policy={
        "default-src": "'none'",
        "style-src": "'unsafe-inline'",
        "img-src": ["'self'", "data:", "https:"],
        "frame-ancestors": "'self'",
        "sandbox": "",
    },
)
@roles(*SUPPORT)
def email_html(message_id):
    """The email's HTML as the customer's mail client shows it, for the preview frame only.

    Emails carry inline styles, which the admin pages' CSP rightly refuses; this one answer gets a
    policy of its own: styles and images only, no script, sandboxed, framed only by our pages.
    """
    response = make_response(queries.get_email(message_id).body_html)
    response.mimetype = "text/html"
    return response


@bp.post("/emails/<int:message_id>/resend")
@roles(*SUPPORT)
def email_resend(message_id):
    try:
        message = resend_email(message_id)
    except ShopError as exc:  # refused before anything changed: the redirect commits nothing
        if exc.code == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(f"The email to {message.to} is queued again.")
    return redirect(url_for("admin.email_detail", message_id=message_id), code=303)
