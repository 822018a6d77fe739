"""The product editor's ingredient list and titration plan (admins only).

Rows arrive in the order staff numbered them; `shop.catalog.admin_services` checks the rules
(days ascending, capsules at least one) and replaces the list, or refuses it whole before
changing anything; a refusal is answered 422, so the request's unit of work keeps nothing.
"""
from flask import flash, request

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import IngredientsForm, PlanForm, StepForm
from shop.admin.product_views import back_to_editor, edit_page, save_section_form
from shop.catalog import admin_services as catalog
from shop.errors import ShopError


@bp.post("/products/<int:product_id>/ingredients")
@roles(*ADMIN_ONLY)
def product_ingredients(product_id):
    product = catalog.get_product(product_id)
    form = IngredientsForm()
    if form.validate_on_submit():
        kept = [row.form for row in form.rows if not row.form.remove.data and not row.form.is_blank()]
        kept.sort(key=lambda row: row.position.data if row.position.data is not None else 10_000)
        try:
            catalog.save_ingredients(product, [
                catalog.IngredientRow(row.name.data or "", row.amount.data, row.unit.data or "",
                                      row.daily_value_percent.data) for row in kept
            ])
        except ShopError as exc:
            _attach_row_errors(kept, exc.errors)
        else:
            flash("Ingredients saved.")
            return back_to_editor(product, "ingredients")
    return edit_page(product, ingredients_form=form, status=422)


@bp.post("/products/<int:product_id>/ingredients/<int:ingredient_id>/move")
@roles(*ADMIN_ONLY)
def ingredient_move(product_id, ingredient_id):
    product = catalog.get_product(product_id)
    catalog.move_ingredient(product, ingredient_id, -1 if request.form.get("direction") == "up" else 1)
    return back_to_editor(product, "ingredients")


@bp.post("/products/<int:product_id>/ingredients/<int:ingredient_id>/remove")
@roles(*ADMIN_ONLY)
def ingredient_remove(product_id, ingredient_id):
    product = catalog.get_product(product_id)
    catalog.remove_ingredient(product, ingredient_id)
    flash("Ingredient removed.")
    return back_to_editor(product, "ingredients")


@bp.post("/products/<int:product_id>/plan")
@roles(*ADMIN_ONLY)
def product_plan(product_id):
    product = catalog.get_product(product_id)
    form = PlanForm()
    if form.validate_on_submit():
        kept = [row.form for row in form.rows if not row.form.remove.data and not row.form.is_blank()]
        kept.sort(key=lambda row: row.position.data if row.position.data is not None else 10_000)
        try:
            catalog.save_plan(product, [
                catalog.StepRow(row.day.data, row.capsules.data, row.kind.data, row.note.data or "") for row in kept
            ])
        except ShopError as exc:
            _attach_row_errors(kept, exc.errors)
        else:
            flash("Titration plan saved.")
            return back_to_editor(product, "plan")
    return edit_page(product, plan_form=form, status=422)


@bp.post("/products/<int:product_id>/plan/add")
@roles(*ADMIN_ONLY)
def step_add(product_id):
    product = catalog.get_product(product_id)
    form = StepForm()
    return save_section_form(
        product, form, lambda: catalog.add_step(
            product, catalog.StepRow(form.day.data, form.capsules.data, form.kind.data, form.note.data or "")),
        form_name="step_form", section="plan", done="Step added.")


@bp.post("/products/<int:product_id>/plan/<int:step_id>/remove")
@roles(*ADMIN_ONLY)
def step_remove(product_id, step_id):
    product = catalog.get_product(product_id)
    catalog.remove_step(product, step_id)
    flash("Step removed.")
    return back_to_editor(product, "plan")


def _attach_row_errors(rows: list, errors: dict) -> None:
    """Service errors name rows by their index in what was submitted ("steps.2.day")."""
    for key, messages in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            field = getattr(rows[int(parts[1])], parts[2], None)
            if field is not None:
                field.errors = list(field.errors) + list(messages)
