"""Promotion codes (admins and support): list, create (here and at Stripe), deactivate.

The rules and the calls to Stripe live in `shop.promotions.services`.
"""
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for

from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.admin.forms import PromotionCodeForm, attach_service_errors
from shop.admin.presenters import to_minor_units
from shop.errors import ShopError
from shop.promotions import services as promotions
from shop.templating import store_zone


@bp.get("/promotion-codes")
@roles(*SUPPORT)
def promotion_codes():
    return render_template("admin/promotions/list.html", codes=promotions.list_codes())


@bp.route("/promotion-codes/new", methods=["GET", "POST"])
@roles(*SUPPORT)
def promotion_code_new():
    form = PromotionCodeForm()
    if form.validate_on_submit():
        try:
            pushed = promotions.create_and_push(_fields(form))
        except ShopError as exc:
            attach_service_errors(form, exc)
        else:
            if pushed.problem:
                flash(f"{pushed.code.code} is saved, but not at Stripe yet: {pushed.problem}", "error")
            else:
                flash(f"{pushed.code.code} is created at Stripe; customers can enter it at checkout.")
            return redirect(url_for("admin.promotion_codes"), code=303)
    return render_template("admin/promotions/new.html", form=form), 422 if request.method == "POST" else 200


@bp.post("/promotion-codes/<int:code_id>/active")
@roles(*SUPPORT)
def promotion_code_active(code_id):
    code = promotions.get_code(code_id)
    active = request.form.get("active") == "1"
    try:
        promotions.set_active(code, active)
    except ShopError as exc:
        flash(f"{code.code} was not changed: {exc.message}", "error")
        return render_template("admin/promotions/list.html", codes=promotions.list_codes()), exc.code
    flash(f"{code.code} is {'active again' if active else 'deactivated: Stripe no longer takes it'}.")
    return redirect(url_for("admin.promotion_codes"), code=303)


@bp.post("/promotion-codes/<int:code_id>/push")
@roles(*SUPPORT)
def promotion_code_push(code_id):
    pushed = promotions.retry_push(promotions.get_code(code_id))
    if pushed.problem:
        flash(f"{pushed.code.code} is not at Stripe: {pushed.problem}", "error")
    else:
        flash(f"{pushed.code.code} is created at Stripe.")
    return redirect(url_for("admin.promotion_codes"), code=303)


def _fields(form: PromotionCodeForm) -> dict:
    currency = (form.currency.data or "").strip().lower() or None
    return {
        "code": form.code.data, "percent_off": form.percent_off.data,
        # Without a currency the amount is read as dollars; the service then asks for the currency.
        "amount_off": to_minor_units(form.amount_off.data, currency, "amount_off"),
        "currency": currency, "expires_at": _from_store_time(form.expires_at.data),
        "max_redemptions": form.max_redemptions.data, "first_order_only": form.first_order_only.data,
    }


def _from_store_time(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=store_zone()) if value is not None else None
