"""Subscriptions (support and admins): who subscribes to what, their status and next renewal;
one subscription's orders, and cancelling and refunding it."""
import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.admin.forms import CancelSubscriptionForm, attach_service_errors
from shop.errors import ShopError
from shop.money import format_money
from shop.pagination import page_cursor
from shop.subscriptions import services as subscriptions
from shop.subscriptions.figures import subscription_figures

PER_PAGE = 50


@bp.get("/subscriptions")
@roles(*SUPPORT)
def subscriptions_list():
    """Newest first, a page at a time: the next page is the subscriptions older than the last shown."""
    status = request.args.get("status") or None
    after = page_cursor(request.args).after
    rows = subscriptions.staff_list(status, after=after, limit=PER_PAGE + 1)
    older = rows[PER_PAGE - 1]["subscription"].id if len(rows) > PER_PAGE else None
    return render_template("admin/subscriptions/list.html", rows=rows[:PER_PAGE], older=older, paged=after is not None,
                           status=status, statuses=subscriptions.STAFF_STATUSES,
                           subscription_figures=subscription_figures())


@bp.get("/subscriptions/<int:subscription_id>")
@roles(*SUPPORT)
def subscription_detail(subscription_id):
    return _detail_page(subscription_id)


@bp.post("/subscriptions/<int:subscription_id>/cancel-refund")
@roles(*SUPPORT)
def subscription_cancel_refund(subscription_id):
    form = CancelSubscriptionForm()
    if not form.validate_on_submit():
        return _detail_page(subscription_id, form, status=422)
    try:
        sub, order = subscriptions.staff_cancel_and_refund(subscription_id, current_user, reason=form.reason.data,
                                                           request_key=form.request_key.data or None)
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(subscription_id, form, status=exc.code)
    if order is None:
        flash(f"Subscription {sub.id} is cancelled at Stripe; nothing was left to refund.")
    else:
        flash(f"Subscription {sub.id} is cancelled at Stripe; order #{order.id} refunded so far: "
              f"{format_money(order.refunded_total, order.currency)}.")
    return redirect(url_for("admin.subscription_detail", subscription_id=subscription_id), code=303)


def _detail_page(subscription_id: int, form=None, status: int = 200):
    form = form or CancelSubscriptionForm(formdata=None, request_key=secrets.token_urlsafe(16))
    return render_template("admin/subscriptions/detail.html", form=form,
                           **subscriptions.staff_detail(subscription_id)), status
