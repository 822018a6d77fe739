"""Guarantee claims (support): the queue oldest first, one claim's context, approve, deny, audit."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.admin import queries
from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.admin.forms import ApproveClaimForm, DenyClaimForm, attach_service_errors
from shop.admin.presenters import to_minor_units
from shop.errors import ShopError
from shop.guarantee import refunds, services
from shop.guarantee.models import FAILED, OPEN, STATUSES
from shop.pagination import page_cursor

PER_PAGE = 50


@bp.get("/claims")
@roles(*SUPPORT)
def claims():
    status = request.args.get("status", OPEN)
    status = status if status in STATUSES else ""
    result, orders = queries.claims_queue(status, page_cursor(request.args), PER_PAGE)
    return render_template("admin/claims/list.html", result=result, orders=orders, status=status,
                           statuses=STATUSES)


@bp.get("/claims/<int:claim_id>")
@roles(*SUPPORT)
def claim_detail(claim_id):
    return _detail_page(claim_id)


@bp.post("/claims/<int:claim_id>/approve")
@roles(*SUPPORT)
def claim_approve(claim_id):
    form = ApproveClaimForm()
    if not form.validate_on_submit():
        return _detail_page(claim_id, approve_form=form, status=422)
    try:
        amount = to_minor_units(form.amount.data, services.get_claim(claim_id).currency)
        claim = refunds.approve_and_refund(claim_id, current_user, amount)
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(claim_id, approve_form=form, status=exc.code)
    if claim.status == FAILED:
        flash(f"Stripe refused the refund: {claim.failure_message}", "error")
    else:
        flash(f"Claim #{claim.id} approved; the refund is requested at Stripe and the claim turns "
              "refunded when Stripe confirms it.")
    return redirect(url_for("admin.claim_detail", claim_id=claim_id), code=303)


@bp.post("/claims/<int:claim_id>/deny")
@roles(*SUPPORT)
def claim_deny(claim_id):
    form = DenyClaimForm()
    if not form.validate_on_submit():
        return _detail_page(claim_id, deny_form=form, status=422)
    try:
        services.deny_claim(claim_id, current_user, form.note.data)
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(claim_id, deny_form=form, status=exc.code)
    flash(f"Claim #{claim_id} denied; the customer is emailed your note.")
    return redirect(url_for("admin.claim_detail", claim_id=claim_id), code=303)


@bp.get("/claims/audit")
@roles(*SUPPORT)
def claim_audit():
    return render_template("admin/claims/audit.html", result=queries.audit_log(page_cursor(request.args)))


def _detail_page(claim_id: int, *, approve_form=None, deny_form=None, status=200):
    context = services.claim_context(claim_id)
    return render_template(
        "admin/claims/detail.html", ctx=context, claim=context["claim"], order=context["order"],
        approve_form=approve_form or ApproveClaimForm(formdata=None),
        deny_form=deny_form or DenyClaimForm(formdata=None),
    ), status
