"""Who may open which admin page: closed by default, opened per view with `@roles(...)`.

A member who must set up a second factor (`shop.accounts.second_factor`) is sent to do so first.

Admins may do everything (`Staff.has_role`). An anonymous visitor is sent to the login with a
`next` that brings them back; a signed-in member whose role may not see the page gets 403.
"""
from collections.abc import Callable

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from shop.accounts.models import ROLE_ADMIN, ROLE_FULFILMENT, ROLE_SUPPORT
from shop.accounts.second_factor import enrolment_required

ADMIN_ONLY = (ROLE_ADMIN,)
SUPPORT = (ROLE_SUPPORT,)
FULFILMENT = (ROLE_FULFILMENT,)
EVERY_ROLE = (ROLE_SUPPORT, ROLE_FULFILMENT)

# Views anyone may open (the login itself).
PUBLIC = "public"
# What a member who must still set up a second factor may open.
BEFORE_ENROLMENT = ("admin.second_factor_page", "admin.second_factor_confirm", "admin.logout")


def roles(*allowed: str) -> Callable:
    """Declare which roles may use a view (admin always may); `roles(PUBLIC)` opens it to all."""

    def decorator(view):
        view.admin_roles = allowed
        return view

    return decorator


def guard():
    """Before every admin view: sign-in first, then the view's declared roles, else 403."""
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = getattr(view, "admin_roles", None)
    if allowed == (PUBLIC,):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=_here()))
    if request.endpoint not in BEFORE_ENROLMENT and enrolment_required(current_user):
        return redirect(url_for("admin.second_factor_page"))
    if allowed is None or not current_user.has_role(*allowed):
        abort(403)
    return None


def may(*allowed: str) -> bool:
    """For templates: whether the signed-in member may use views declared with these roles."""
    return current_user.is_authenticated and current_user.has_role(*allowed)


def _here() -> str | None:
    if request.method != "GET":
        return None  # after signing in, a form post is not repeated; the dashboard is fine
    return request.full_path.rstrip("?")

