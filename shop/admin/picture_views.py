"""A product's pictures in the product editor (admins only): upload, describe, reorder, remove.

The file is checked by `shop.catalog.pictures` (decoded, size and pixel limits); a refused upload
is shown on the form with a 422, and the request's unit of work keeps nothing. Uploads are the
one kind of request allowed a body larger than MAX_CONTENT_LENGTH: up to twice
MEDIA_MAX_UPLOAD_BYTES, so a picture somewhat too large still gets a form error saying so
rather than a bare 413.
"""
from flask import current_app, flash, request

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import PictureAltForm, PictureForm
from shop.admin.product_views import attach_form_errors, back_to_editor, edit_page
from shop.catalog import admin_services as catalog, pictures
from shop.errors import ShopError

UPLOAD_ENDPOINT = "admin.picture_add"


@bp.record_once
def _larger_bodies_for_uploads(state):
    # First of the app's before-request functions: the CSRF check reads the form, and with it the
    # body, before any view or blueprint function runs.
    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_upload_size)


def allow_upload_size() -> None:
    if request.endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = 2 * current_app.config["MEDIA_MAX_UPLOAD_BYTES"]


@bp.post("/products/<int:product_id>/pictures")
@roles(*ADMIN_ONLY)
def picture_add(product_id):
    product = catalog.get_product(product_id)
    form = PictureForm()
    if form.validate_on_submit():
        upload = form.picture.data
        data = upload.read() if upload and hasattr(upload, "read") else b""
        try:
            pictures.add_picture(product, data, form.alt.data or "")
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
            return edit_page(product, picture_form=form, status=exc.code)
        flash("Picture added.")
        return _back(product)
    return edit_page(product, picture_form=form, status=422)


@bp.post("/products/<int:product_id>/pictures/<int:image_id>/alt")
@roles(*ADMIN_ONLY)
def picture_alt(product_id, image_id):
    product = catalog.get_product(product_id)
    form = PictureAltForm()
    try:
        pictures.describe_picture(product, image_id, form.alt.data or "")
    except ShopError as exc:
        if exc.code == 404:
            raise
        flash(f"Not saved: {'; '.join(m for ms in exc.errors.values() for m in ms)}", "error")
        return edit_page(product, status=422)
    flash("Description saved.")
    return _back(product)


@bp.post("/products/<int:product_id>/pictures/<int:image_id>/move")
@roles(*ADMIN_ONLY)
def picture_move(product_id, image_id):
    product = catalog.get_product(product_id)
    pictures.move_picture(product, image_id, -1 if request.form.get("direction") == "up" else 1)
    return _back(product)


@bp.post("/products/<int:product_id>/pictures/<int:image_id>/remove")
@roles(*ADMIN_ONLY)
def picture_remove(product_id, image_id):
    product = catalog.get_product(product_id)
    pictures.remove_picture(product, image_id)
    flash("Picture removed.")
    return _back(product)


def _back(product):
    return back_to_editor(product, "pictures")
