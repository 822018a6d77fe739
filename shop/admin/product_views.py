"""Products (admins only): list, create, edit, publish; the editor page all product forms share.

The rules (slugs, money, plan order) live in `shop.catalog.admin_services`; these views move
form data in and errors out.
"""
from flask import flash, redirect, render_template, request, url_for

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import BundleForm, IngredientsForm, PictureAltForm, PictureForm, PlanForm, ProductForm, StepForm
from shop.admin.presenters import from_minor_units, to_minor_units
from shop.catalog import admin_services as catalog
from shop.errors import ShopError
from shop.pagination import page_number

PER_PAGE = 50


@bp.get("/products")
@roles(*ADMIN_ONLY)
def products():
    q = (request.args.get("q") or "")[:200]
    result = catalog.list_all_products(page_number(request.args), PER_PAGE, q)
    return render_template("admin/products/list.html", result=result, q=q)


@bp.route("/products/new", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def product_new():
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = catalog.create_product(_product_fields(form))
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
        else:
            flash(f"{product.name} created. Add its ingredients and titration plan below.")
            return redirect(url_for("admin.product_edit", product_id=product.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/products/new.html", form=form), status


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def product_edit(product_id):
    product = catalog.get_product(product_id)
    form = ProductForm(obj=None if request.method == "POST" else product)
    if request.method == "GET":
        form.price.data = from_minor_units(product.price, product.currency)
    elif form.validate_on_submit():
        try:
            catalog.update_product(product, _product_fields(form))
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
        else:
            flash("Product saved.")
            return redirect(url_for("admin.product_edit", product_id=product.id), code=303)
    return edit_page(product, form=form, status=422 if request.method == "POST" else 200)


@bp.post("/products/<int:product_id>/publish")
@roles(*ADMIN_ONLY)
def product_publish(product_id):
    product = catalog.get_product(product_id)
    publish = request.form.get("published") == "1"
    try:
        catalog.set_published(product, publish)
    except ShopError as exc:
        form = ProductForm(obj=product, formdata=None)
        form.price.data = from_minor_units(product.price, product.currency)
        attach_form_errors(form, exc.errors)
        return edit_page(product, form=form, status=exc.code)
    flash(f"{product.name} is {'published' if publish else 'hidden from the shop'}.")
    return redirect(url_for("admin.product_edit", product_id=product.id), code=303)


def edit_page(product, *, form=None, ingredients_form=None, plan_form=None, step_form=None, picture_form=None,
              bundle_form=None,
              status=200):
    if form is None:
        form = ProductForm(obj=product, formdata=None)
        form.price.data = from_minor_units(product.price, product.currency)
    if ingredients_form is None:
        ingredients_form = IngredientsForm(formdata=None, data={"rows": [
            {"position": i + 1, "name": x.name, "amount": x.amount, "unit": x.unit,
             "daily_value_percent": x.daily_value_percent}
            for i, x in enumerate(product.ingredients)
        ] + [{}]})
    if plan_form is None:
        plan_form = PlanForm(formdata=None, data={"rows": [
            {"position": i + 1, "day": s.day, "capsules": s.capsules, "kind": s.kind, "note": s.note}
            for i, s in enumerate(product.titration_steps)
        ] + [{}]})
    step_form = step_form or StepForm(formdata=None)
    picture_form = picture_form or PictureForm(formdata=None)
    bundle_form = bundle_form or BundleForm(formdata=None)
    return render_template(
        "admin/products/edit.html", product=product, form=form, ingredients_form=ingredients_form,
        plan_form=plan_form, step_form=step_form, picture_form=picture_form, alt_form=PictureAltForm(formdata=None),
        bundle_form=bundle_form,
    ), status


def _product_fields(form: ProductForm) -> dict:
    return {
        "slug": form.slug.data, "name": form.name.data, "summary": form.summary.data or "",
        "description": form.description.data or "", "price": to_minor_units(form.price.data, form.currency.data, "price"),
        "currency": form.currency.data, "capsules_per_bottle": form.capsules_per_bottle.data,
        "serving_capsules": form.serving_capsules.data, "stock": form.stock.data,
        "guarantee_days": form.guarantee_days.data, "disclaimer": form.disclaimer.data or "",
        "published": form.published.data, "tax_code": form.tax_code.data,
        "subscription_discount_percent": form.subscription_discount_percent.data,
        "servings_per_container": form.servings_per_container.data,
        **{name: getattr(form, name).data or "" for name in (*catalog.ADVICE_FIELDS, *catalog.FACTS_TEXT_FIELDS)},
    }


def back_to_editor(product, section: str):
    """After a change to one section of the product editor: the editor, at that section (303)."""
    return redirect(url_for("admin.product_edit", product_id=product.id, _anchor=section), code=303)


def save_section_form(product, form, save, *, form_name: str, section: str, done: str):
    """A section's add form: `save()` when the form is valid, then back to the section with `done`
    flashed; an invalid form, or a service refusal, shows the editor with the form's errors (422)."""
    if form.validate_on_submit():
        try:
            save()
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
        else:
            flash(done)
            return back_to_editor(product, section)
    return edit_page(product, status=422, **{form_name: form})


def attach_form_errors(form, errors: dict) -> None:
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
