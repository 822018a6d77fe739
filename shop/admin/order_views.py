"""Orders: every role may look; fulfilment (and admins) ship and deliver; support (and admins)
refund outside any claim and cancel a paid order before it ships."""
from datetime import datetime

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from shop.admin import queries
from shop.admin.access import EVERY_ROLE, FULFILMENT, SUPPORT, roles
from shop.admin.blueprint import bp
from shop.admin.forms import (
    CANCEL_PREFIX,
    REFUND_PREFIX,
    CancelOrderForm,
    DeliverForm,
    RefundOrderForm,
    ShipForm,
    attach_service_errors,
    refund_forms,
)
from shop.admin.presenters import to_minor_units
from shop.errors import ShopError
from shop.money import format_money
from shop.fulfilment.services import deliver_order, ship_order
from shop.orders import export
from shop.orders.models import DELIVERED, SHIPPED, STATUSES
from shop.orders.states import can_transition
from shop.payments import staff_refunds
from shop.payments.staff_refunds import refund_options
from shop.pagination import page_cursor
from shop.templating import store_zone

PER_PAGE = 50
UNANSWERED = ("Stripe did not answer: the refund may have been made. It is held as pending; Stripe's webhook or the "
              "daily reconciliation settles it.")


def _actor() -> str:
    return f"staff:{current_user.email}"


@bp.get("/orders")
@roles(*EVERY_ROLE)
def orders():
    q = (request.args.get("q") or "")[:254]
    status = request.args.get("status") or ""
    result = queries.search_orders(q, status, page_cursor(request.args), PER_PAGE)
    return render_template("admin/orders/list.html", result=result, q=q, status=status, statuses=STATUSES)


@bp.get("/orders/export.csv")
@roles(*SUPPORT)
def orders_export():
    """Orders as CSV (`status`, `from`, `to` filter; see shop.orders.export), streamed."""
    chosen = export.export_filter(request.args)
    return Response(stream_with_context(export.export_csv(chosen)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{chosen.file_name()}"'})


@bp.get("/orders/<int:order_id>")
@roles(*EVERY_ROLE)
def order_detail(order_id):
    return _detail_page(order_id)


@bp.post("/orders/<int:order_id>/ship")
@roles(*FULFILMENT)
def order_ship(order_id):
    form = ShipForm()
    if not form.validate_on_submit():
        return _detail_page(order_id, ship_form=form, status=422)
    try:
        ship_order(order_id, carrier=form.carrier.data.strip(), tracking_number=form.tracking_number.data.strip(),
                   actor=_actor())
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(order_id, ship_form=form, status=exc.code)
    flash(f"Order #{order_id} is shipped; the customer is emailed the tracking number.")
    if request.form.get("back") == "fulfilment":  # shipped from the fulfilment desk's queue
        return redirect(url_for("admin.fulfilment"), code=303)
    return redirect(url_for("admin.order_detail", order_id=order_id), code=303)


@bp.post("/orders/<int:order_id>/deliver")
@roles(*FULFILMENT)
def order_deliver(order_id):
    form = DeliverForm()
    if not form.validate_on_submit():
        return _detail_page(order_id, deliver_form=form, status=422)
    try:
        deliver_order(order_id, delivered_at=_from_store_time(form.delivered_at.data), actor=_actor())
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(order_id, deliver_form=form, status=exc.code)
    flash(f"Order #{order_id} is delivered; its titration follow-ups are scheduled.")
    return redirect(url_for("admin.order_detail", order_id=order_id), code=303)


@bp.post("/orders/<int:order_id>/refund")
@roles(*SUPPORT)
def order_refund(order_id):
    form = RefundOrderForm(prefix=REFUND_PREFIX)
    if not form.validate_on_submit():
        return _detail_page(order_id, refund_form=form, status=422)
    try:
        amount = to_minor_units(form.amount.data, staff_refunds.get_order(order_id).currency)
        order = staff_refunds.refund_order(order_id, current_user, reason=form.reason.data, amount=amount,
                                           request_key=form.request_key.data or None)
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(order_id, refund_form=form, status=exc.code)
    if staff_refunds.awaiting_stripe(order):  # the same form again (its request key) resends it, once
        form.form_errors.append(UNANSWERED + " Submit this form again to send the same refund again.")
        return _detail_page(order_id, refund_form=form)
    flash(f"Refund requested at Stripe for order #{order_id}; refunded so far: "
          f"{format_money(order.refunded_total, order.currency)}.")
    return redirect(url_for("admin.order_detail", order_id=order_id), code=303)


@bp.post("/orders/<int:order_id>/cancel")
@roles(*SUPPORT)
def order_cancel(order_id):
    form = CancelOrderForm(prefix=CANCEL_PREFIX)
    if not form.validate_on_submit():
        return _detail_page(order_id, cancel_form=form, status=422)
    try:
        order = staff_refunds.cancel_order(order_id, current_user, reason=form.reason.data,
                                           request_key=form.request_key.data or None)
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _detail_page(order_id, cancel_form=form, status=exc.code)
    flash(f"Order #{order_id} is cancelled: its stock is back and the customer is emailed.")
    if staff_refunds.awaiting_stripe(order):
        flash(UNANSWERED, "error")
    return redirect(url_for("admin.order_detail", order_id=order_id), code=303)


def _from_store_time(value: datetime | None) -> datetime | None:
    """The form's local date and time, read in the store's time zone."""
    return value.replace(tzinfo=store_zone()) if value is not None else None


def _detail_page(order_id: int, *, ship_form=None, deliver_form=None, refund_form=None, cancel_form=None,
                status=200):
    """The order's page, with the forms posted back (and their errors) where a post was refused."""
    story = queries.order_story(order_id)
    order = story.order
    return render_template(
        "admin/orders/detail.html", story=story, order=order, story_limit=queries.STORY_LIMIT,
        ship_form=ship_form or ShipForm(formdata=None), deliver_form=deliver_form or DeliverForm(formdata=None),
        can_ship=can_transition(order, SHIPPED), can_deliver=can_transition(order, DELIVERED),
        money=refund_options(order), **refund_forms(refund_form, cancel_form),
    ), status
