"""Subscriptions (support and admins): who subscribes to what, their status and next renewal."""
from flask import render_template, request

from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.subscriptions import services as subscriptions
from shop.subscriptions.figures import subscription_figures


@bp.get("/subscriptions")
@roles(*SUPPORT)
def subscriptions_list():
    status = request.args.get("status") or None
    return render_template("admin/subscriptions/list.html", rows=subscriptions.staff_list(status),
                           status=status, statuses=subscriptions.STAFF_STATUSES,
                           subscription_figures=subscription_figures())
