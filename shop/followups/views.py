"""The pages behind the signed links of follow-up emails.

GET shows what the link will do and a button (mail scanners that prefetch links change
nothing); POST does it. The hold and restart forms carry a CSRF token like every form; only
the unsubscribe POST is exempt: RFC 8058 mailboxes POST `List-Unsubscribe=One-Click` without
any cookie, and the signed token in its URL is the authority.
"""
from flask import Blueprint, render_template, request

from shop.extensions import csrf
from shop.followups import links, services

bp = Blueprint("followups", __name__, url_prefix="/followups")


def _followup_or_error(token: str, action: str):
    try:
        return services.followup_for_link(token, action), None
    except links.LinkError as exc:
        return None, (render_template("followups/invalid.html", message=str(exc)), 400)


def _page(action: str, token: str, done_service):
    row, error = _followup_or_error(token, action)
    if error:
        return error
    if request.method == "GET":
        return render_template(f"followups/{action}.html", followup=row, token=token, done=None)
    outcome = done_service(row.id)
    return render_template(f"followups/{action}.html", followup=row, token=token, done=outcome,
                           schedule=services.plan_schedule(row))


@bp.route("/hold/<token>", methods=["GET", "POST"])
def hold(token):
    return _page(links.HOLD, token, lambda fid: services.hold_dose(fid))


@bp.route("/started/<token>", methods=["GET", "POST"])
def started(token):
    return _page(links.STARTED, token, lambda fid: services.restart_plan(fid))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mailbox provider POSTs with no session
def unsubscribe(token):
    return _page(links.UNSUBSCRIBE, token, lambda fid: services.unsubscribe(fid))


@bp.app_template_global("followup_schedule")
def followup_schedule(order):
    """For `templates/followups/_order_panel.html`, which the order page includes."""
    return services.order_schedule(order)
