"""The fulfilment desk (fulfilment and admins): paid orders waiting to ship, oldest payment
first, each with its address and items; packing slips to print; shipments marked from a CSV."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.admin.access import FULFILMENT, roles
from shop.admin.blueprint import bp
from shop.admin.forms import ShipmentsUploadForm, attach_service_errors
from shop.errors import ShopError
from shop.fulfilment import bulk
from shop.fulfilment.queue import awaiting_shipment
from shop.fulfilment.tracking import CARRIERS
from shop.pagination import page_cursor
from shop.payments.staff_refunds import get_order

PER_PAGE = 50


@bp.get("/fulfilment")
@roles(*FULFILMENT)
def fulfilment():
    return _desk()


@bp.post("/fulfilment/shipments")
@roles(*FULFILMENT)
def fulfilment_shipments():
    """Mark the orders of a CSV shipped; the page answers with the report of every line."""
    form = ShipmentsUploadForm()
    if not form.validate_on_submit():
        return _desk(upload_form=form, status=422)
    try:
        report = bulk.ship_from_csv(form.file.data.read(), actor=f"staff:{current_user.email}")
    except ShopError as exc:
        attach_service_errors(form, exc)
        return _desk(upload_form=form, status=exc.code)
    flash(f"{len(report.shipped)} shipped, {len(report.skipped)} skipped, {len(report.refused)} refused.",
          "error" if report.refused else "message")
    return _desk(report=report)


@bp.get("/orders/<int:order_id>/packing-slip")
@roles(*FULFILMENT)
def packing_slip(order_id):
    """A page to print and put in the parcel: ship-to address, items and quantities, no prices."""
    return render_template("admin/orders/packing_slip.html", order=get_order(order_id))


def _desk(*, upload_form=None, report=None, status=200):
    return render_template(
        "admin/fulfilment/queue.html", result=awaiting_shipment(page_cursor(request.args), PER_PAGE),
        upload_form=upload_form or ShipmentsUploadForm(formdata=None), report=report,
        carriers=[name for name, _ in CARRIERS.values()], columns=bulk.COLUMNS,
    ), status
