"""The admin blueprint; `access.guard` runs before every one of its views."""
from flask import Blueprint

from shop.admin.access import guard

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(guard)


@bp.after_request
def no_store(response):
    """Staff pages carry customers' details: never keep them in a shared or browser cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.record_once
def _template_helpers(state):
    """As Jinja globals (not a context processor), so imported macros see them too."""
    from shop.admin.presenters import template_helpers

    for name, helper in template_helpers().items():
        state.app.add_template_global(helper, name)
