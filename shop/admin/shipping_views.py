"""Shipping rates (admins only): list, create, edit, stop or resume offering them.

The rules live in `shop.shipping.services`; these views move form data in and errors out.
"""
from flask import flash, redirect, render_template, request, url_for

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import ShippingRateForm, attach_service_errors
from shop.admin.presenters import from_minor_units, to_minor_units
from shop.errors import ShopError
from shop.shipping import services as shipping


@bp.get("/shipping-rates")
@roles(*ADMIN_ONLY)
def shipping_rates():
    return render_template("admin/shipping/list.html", rates=shipping.list_rates(),
                           max_offered=shipping.MAX_OFFERED)


@bp.route("/shipping-rates/new", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def shipping_rate_new():
    form = ShippingRateForm()
    if form.validate_on_submit():
        try:
            rate = shipping.create_rate(_fields(form))
        except ShopError as exc:
            attach_service_errors(form, exc)
        else:
            flash(f"Shipping rate {rate.name} created.")
            return redirect(url_for("admin.shipping_rates"), code=303)
    return render_template("admin/shipping/form.html", form=form, rate=None), _status()


@bp.route("/shipping-rates/<int:rate_id>", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def shipping_rate_edit(rate_id):
    rate = shipping.get_rate(rate_id)
    form = ShippingRateForm(obj=None if request.method == "POST" else rate)
    if request.method == "GET":
        form.amount.data = from_minor_units(rate.amount, rate.currency)
        form.free_over.data = from_minor_units(rate.free_over, rate.currency)
    elif form.validate_on_submit():
        try:
            shipping.update_rate(rate, _fields(form))
        except ShopError as exc:
            attach_service_errors(form, exc)
        else:
            flash(f"Shipping rate {rate.name} saved; the next checkouts offer it as it is now.")
            return redirect(url_for("admin.shipping_rates"), code=303)
    return render_template("admin/shipping/form.html", form=form, rate=rate), _status()


@bp.post("/shipping-rates/<int:rate_id>/active")
@roles(*ADMIN_ONLY)
def shipping_rate_active(rate_id):
    rate = shipping.get_rate(rate_id)
    active = request.form.get("active") == "1"
    shipping.set_active(rate, active)
    flash(f"{rate.name} is {'offered at checkout again' if active else 'no longer offered'}.")
    return redirect(url_for("admin.shipping_rates"), code=303)


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _fields(form: ShippingRateForm) -> dict:
    currency = (form.currency.data or "").strip().lower()
    return {
        "name": form.name.data, "currency": currency,
        "amount": to_minor_units(form.amount.data, currency, "amount"),
        "free_over": to_minor_units(form.free_over.data, currency, "free_over"),
        "min_business_days": form.min_business_days.data, "max_business_days": form.max_business_days.data,
        "sort_order": form.sort_order.data or 0, "active": form.active.data,
    }
