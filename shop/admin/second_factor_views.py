"""Setting up one's second factor (an authenticator app) and renewing recovery codes.

The secret being set up waits in the signed session cookie (nothing is stored until a first
code from the app confirms it). The recovery codes are shown in a 201 answer, whose work the
request's unit of work commits before the page leaves; a refused code answers 422 or 409, and
whatever it touched is rolled back.

Every member may set one up; admins and support must where STAFF_TOTP_REQUIRED (the guard in
`shop.admin.access` sends them here before any other page).
"""
from flask import render_template, session
from flask_login import current_user

from shop.accounts import second_factor
from shop.admin import sign_in as steps
from shop.admin.access import EVERY_ROLE, roles
from shop.admin.blueprint import bp
from shop.admin.forms import CodeForm
from shop.errors import ShopError
from shop.extensions import limiter

DRAFT_KEY = "second_factor_draft"


def _member_key() -> str:
    return f"code:{current_user.get_id().partition(':')[0]}"


@bp.get("/second-factor")
@roles(*EVERY_ROLE)
def second_factor_page():
    return _page(CodeForm(formdata=None))


@bp.post("/second-factor")
@roles(*EVERY_ROLE)
@limiter.limit(steps.code_limit, key_func=_member_key)
def second_factor_confirm():
    """Switch the second factor on (first code from the app); the recovery codes, shown once."""
    staff = current_user._get_current_object()
    form = CodeForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        codes = second_factor.confirm_enrolment(staff, session.get(DRAFT_KEY), form.code.data)
    except ShopError as exc:
        form.code.errors.extend(exc.errors.get("code", [exc.message]))
        return _page(form, status=exc.code)
    steps.sign_in(staff)  # other sessions end; this one carries on, now with the second factor
    return render_template("admin/second_factor/codes.html", codes=codes), 201


@bp.post("/second-factor/recovery-codes")
@roles(*EVERY_ROLE)
@limiter.limit(steps.code_limit, key_func=_member_key)
def second_factor_new_codes():
    """New recovery codes (the old ones stop working), against a current code."""
    staff = current_user._get_current_object()
    form = CodeForm()
    if not form.validate_on_submit() or not second_factor.verify_second_factor(staff, form.code.data):
        form.code.errors.append(second_factor.CODE_INVALID)
        return _page(form, status=422)
    codes = second_factor.new_recovery_codes(staff)
    return render_template("admin/second_factor/codes.html", codes=codes), 201


def _page(form, status=200):
    staff = current_user._get_current_object()
    secret = uri = None
    if not staff.totp_enabled:
        secret = session.get(DRAFT_KEY) or second_factor.new_secret()
        session[DRAFT_KEY] = secret
        uri = second_factor.provisioning_uri(staff, secret)
    required = second_factor.enrolment_required(staff)
    return render_template("admin/second_factor/page.html", form=form, secret=secret, uri=uri,
                           required=required), status
