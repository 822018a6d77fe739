"""The claim form on the order page: its POST route and what the panel shows."""
from flask import Blueprint, flash, redirect, request, url_for

from shop.errors import ShopError
from shop.guarantee import services
from shop.orders.access import no_store, order_for_page

bp = Blueprint("guarantee", __name__)
bp.after_request(no_store)


@bp.app_template_global("guarantee_panel")
def guarantee_panel(order) -> dict:
    """For templates/guarantee/_order_panel.html: the window and the latest claim of `order`."""
    return services.order_page_panel(order)


@bp.post("/orders/<int:order_id>/claim")
def file_claim(order_id):
    """File a claim from the order page (the browser session holds access to the order)."""
    order = order_for_page(order_id)
    doses = request.form.get("doses_reached", "").strip()
    try:
        services.file_claim(
            order.id, request.form.get("reason"), details=request.form.get("details"),
            doses_reached=int(doses) if doses.isdigit() else None,
            side_effects=request.form.get("side_effects"),
        )
        flash("We received your claim. We will email you our decision.", "success")
    except ShopError as exc:  # refused before anything changed
        messages = [m for msgs in exc.errors.values() for m in msgs] or [exc.message]
        flash("Your claim was not filed: " + "; ".join(messages), "error")
    return redirect(url_for("orders.page", order_id=order.id) + "#guarantee", code=303)
