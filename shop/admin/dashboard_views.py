"""The dashboard: today at a glance, each number a link to the queue behind it."""
from flask import render_template

from shop.admin import metrics
from shop.admin.access import EVERY_ROLE, roles
from shop.admin.blueprint import bp
from shop.admin.charts import bar_chart
from shop.catalog import alerts
from shop.subscriptions.figures import subscription_figures


@bp.get("/")
@bp.get("")
@roles(*EVERY_ROLE)
def dashboard():
    numbers = metrics.dashboard()
    chart = bar_chart(numbers.days)
    return render_template("admin/dashboard.html", numbers=numbers, chart=chart,
                           low_stock=alerts.low_stock_products(), low_stock_threshold=alerts.threshold(),
                           subscription_figures=subscription_figures())
