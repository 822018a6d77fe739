"""Subscriptions (support and admins): who subscribes to what, their status and next renewal."""
from flask import render_template, request

from shop.admin.access import SUPPORT, roles
from shop.admin.blueprint import bp
from shop.pagination import page_cursor
from shop.subscriptions import services as subscriptions

PER_PAGE = 50


@bp.get("/subscriptions")
@roles(*SUPPORT)
def subscriptions_list():
    """Newest first, a page at a time: the next page is the subscriptions older than the last shown."""
    status = request.args.get("status") or None
    after = page_cursor(request.args).after
    rows = subscriptions.staff_list(status, after=after, limit=PER_PAGE + 1)
    older = rows[PER_PAGE - 1]["subscription"].id if len(rows) > PER_PAGE else None
    return render_template("admin/subscriptions/list.html", rows=rows[:PER_PAGE], older=older, paged=after is not None,
                           status=status, statuses=subscriptions.STAFF_STATUSES)
