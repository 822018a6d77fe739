"""Policy pages (admins only): privacy, terms, refunds, shipping, contact; edit their title and text.

Text is stored as typed and shown through the page format of `shop.pages.text`, which escapes
everything: staff cannot put HTML (or a script) on the storefront by accident or on purpose.
"""
from flask import flash, redirect, render_template, request, url_for

from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import PolicyPageForm
from shop.admin.product_views import attach_form_errors
from shop.errors import ShopError
from shop.pages import services


@bp.get("/pages")
@roles(*ADMIN_ONLY)
def policy_page_list():
    return render_template("admin/pages/list.html", pages=services.policy_pages())


@bp.route("/pages/<slug>", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def policy_page_edit(slug):
    page = services.policy_page(slug)
    form = PolicyPageForm(data={"title": page.title, "body": page.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_policy_page(slug, form.title.data, form.body.data)
        except ShopError as exc:
            attach_form_errors(form, exc.errors)
        else:
            flash(f"{form.title.data} saved; the shop shows it now.")
            return redirect(url_for("admin.policy_page_edit", slug=slug), code=303)
    return render_template("admin/pages/edit.html", page=page, form=form), 422 if request.method == "POST" else 200
