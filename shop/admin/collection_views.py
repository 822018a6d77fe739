"""Collections (admins only): list, create, edit with the products they hold, delete.

The rules (slugs, known products) live in `shop.catalog.collections`; these views move form data
in and errors out. Products are chosen with checkboxes and ordered by number.
"""
from flask import flash, redirect, render_template, request, url_for

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import CollectionForm
from shop.admin.product_views import attach_form_errors
from shop.catalog import admin_services as catalog, collections
from shop.errors import ShopError


@bp.get("/collections")
@roles(*ADMIN_ONLY)
def collection_list():
    return render_template("admin/collections/list.html", collections=collections.list_collections())


@bp.route("/collections/new", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def collection_new():
    return _edit(None)


@bp.route("/collections/<int:collection_id>", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def collection_edit(collection_id):
    return _edit(collections.get_collection(collection_id))


@bp.post("/collections/<int:collection_id>/delete")
@roles(*ADMIN_ONLY)
def collection_delete(collection_id):
    collection = collections.get_collection(collection_id)
    collections.delete_collection(collection)
    flash(f"Collection {collection.name} deleted.")
    return redirect(url_for("admin.collection_list"), code=303)


def _edit(collection):
    form = CollectionForm(obj=collection if request.method == "GET" else None)
    chosen = _chosen_products() if request.method == "POST" else \
        [entry.product_id for entry in collection.entries] if collection else []
    if form.validate_on_submit():
        try:
            saved = collections.save_collection(collection, form.data, chosen)
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
        else:
            flash(f"Collection {saved.name} saved.")
            return redirect(url_for("admin.collection_edit", collection_id=saved.id), code=303)
    products = catalog.list_all_products(1, 500).items
    order = {product_id: index for index, product_id in enumerate(chosen)}
    return render_template("admin/collections/edit.html", form=form, collection=collection, products=products,
                           order=order), 422 if request.method == "POST" else 200


def _chosen_products() -> list[int]:
    """Ticked products, in the order staff numbered them (unnumbered ones last, as listed)."""
    ticked = []
    for index, value in enumerate(request.form.getlist("product")):
        if value.isdigit() and len(value) < 10:
            number = request.form.get(f"order-{value}", "")
            ticked.append((int(number) if number.isdigit() and len(number) < 6 else 100_000, index, int(value)))
    return [product_id for _, _, product_id in sorted(ticked)]
