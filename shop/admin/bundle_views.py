"""The product editor's bundles (admins only): several bottles at one price.

The rules (sizes, prices below that many single bottles) live in
`shop.catalog.admin_services`; a refusal answers 422 with the editor and changes nothing.
"""
from flask import flash

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import BundleForm
from shop.admin.presenters import to_minor_units
from shop.admin.product_views import back_to_editor, save_section_form
from shop.catalog import admin_services as catalog


@bp.post("/products/<int:product_id>/bundles")
@roles(*ADMIN_ONLY)
def bundle_add(product_id):
    product = catalog.get_product(product_id)
    form = BundleForm()
    return save_section_form(
        product, form, lambda: catalog.add_bundle(
            product, form.bottles.data, to_minor_units(form.price.data, product.currency, "price"), form.label.data or ""),
        form_name="bundle_form", section="bundles", done="Bundle added.")


@bp.post("/products/<int:product_id>/bundles/<int:bundle_id>/remove")
@roles(*ADMIN_ONLY)
def bundle_remove(product_id, bundle_id):
    product = catalog.get_product(product_id)
    catalog.remove_bundle(product, bundle_id)
    flash("Bundle removed.")
    return back_to_editor(product, "bundles")
