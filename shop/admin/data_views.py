"""Customer data requests in the admin (admin role): export or erase what is held about an email.

An erasure is committed by the request's unit of work with the page that reports it; a refused
one answers 422, which rolls back anything it touched.
"""
import json

from flask import Response, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import attach_service_errors
from shop.customers.services import confirm_erase, erase_customer_data, export_customer_data
from shop.errors import ShopError

REQUIRED = "Required field missing"


class DataRequestForm(FlaskForm):
    email = StringField("Customer's email", validators=[DataRequired(REQUIRED), Length(max=254)])


class ErasureForm(DataRequestForm):
    confirm_email = StringField("Type the email again to confirm", validators=[DataRequired(REQUIRED), Length(max=254)])
    remove_review_bodies = BooleanField("Also remove the text of their reviews and questions")


@bp.get("/data")
@roles(*ADMIN_ONLY)
def data_requests():
    return render_template("admin/data/requests.html", export_form=DataRequestForm(prefix="export"),
                           erase_form=ErasureForm(prefix="erase"))


@bp.post("/data/export")
@roles(*ADMIN_ONLY)
def data_export():
    form = DataRequestForm(prefix="export")
    if form.validate_on_submit():
        try:
            data = export_customer_data(form.email.data)
        except ShopError as exc:
            attach_service_errors(form, exc, fallback=form.email)
        else:
            filename = "customer-data.json"
            return Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return render_template("admin/data/requests.html", export_form=form, erase_form=ErasureForm(prefix="erase")), 422


@bp.post("/data/erase")
@roles(*ADMIN_ONLY)
def data_erase():
    form = ErasureForm(prefix="erase")
    if form.validate_on_submit():
        try:
            confirm_erase(form.email.data, form.confirm_email.data)
            report = erase_customer_data(form.email.data, remove_review_bodies=form.remove_review_bodies.data,
                                         actor=f"staff:{current_user.email}")
        except ShopError as exc:  # the 422 below rolls back whatever was touched
            attach_service_errors(form, exc, fallback=form.email)
        else:
            return render_template("admin/data/erased.html", report=report)
    return render_template("admin/data/requests.html", export_form=DataRequestForm(prefix="export"), erase_form=form), 422
