"""The product editor's bundles (admins only): several bottles at one price.

The rules (sizes, prices below that many single bottles) live in
`shop.catalog.admin_services`; a refusal answers 422 with the editor and changes nothing.
"""
from flask import flash, redirect, url_for

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import BundleForm
from shop.admin.presenters import to_minor_units
from shop.admin.product_views import attach_form_errors, edit_page
from shop.catalog import admin_services as catalog
from shop.errors import ShopError


@bp.post("/products/<int:product_id>/bundles")
@roles(*ADMIN_ONLY)
def bundle_add(product_id):
    product = catalog.get_product(product_id)
    form = BundleForm()
    if form.validate_on_submit():
        try:
            catalog.add_bundle(product, form.bottles.data, to_minor_units(form.price.data, product.currency, "price"),
                               form.label.data or "")
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
        else:
            flash("Bundle added.")
            return redirect(url_for("admin.product_edit", product_id=product.id, _anchor="bundles"), code=303)
    return edit_page(product, bundle_form=form, status=422)


@bp.post("/products/<int:product_id>/bundles/<int:bundle_id>/remove")
@roles(*ADMIN_ONLY)
def bundle_remove(product_id, bundle_id):
    product = catalog.get_product(product_id)
    catalog.remove_bundle(product, bundle_id)
    flash("Bundle removed.")
    return redirect(url_for("admin.product_edit", product_id=product.id, _anchor="bundles"), code=303)
