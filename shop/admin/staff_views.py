"""Staff (admins only): list, create, change role, deactivate, issue and revoke API tokens.

The request's unit of work commits: a created member, a new token (shown in a 201 answer) or a
changed role is on record before the answer leaves. Role and deactivation refusals redirect
with a flash, so their services refuse before changing anything.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.accounts.second_factor import enrolment_required, reset_second_factor
from shop.accounts.services import create_staff, issue_token
from shop.admin import staff_services
from shop.admin.access import ADMIN_ONLY, roles
from shop.admin.blueprint import bp
from shop.admin.forms import RoleForm, StaffForm, TokenForm, attach_service_errors
from shop.errors import ShopError


@bp.route("/staff", methods=["GET", "POST"])
@roles(*ADMIN_ONLY)
def staff_list():
    form = StaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            member = create_staff(form.email.data, form.role.data, password=form.password.data,
                                  name=form.name.data or "")
        except ShopError as exc:
            attach_service_errors(form, exc, fallback=form.email)
            status = 422
        else:
            flash(f"{member.email} can now sign in as {member.role}. Share the password with them privately.")
            return redirect(url_for("admin.staff_detail", staff_id=member.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/staff/list.html", members=staff_services.list_staff(), form=form,
                           role_hint=staff_services.role_hint()), status


@bp.get("/staff/<int:staff_id>")
@roles(*ADMIN_ONLY)
def staff_detail(staff_id):
    return _detail_page(staff_services.get_staff(staff_id))


@bp.post("/staff/<int:staff_id>/role")
@roles(*ADMIN_ONLY)
def staff_role(staff_id):
    member = staff_services.get_staff(staff_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _detail_page(member, role_form=form, status=422)
    try:
        staff_services.change_role(member, form.role.data, by=current_user)
    except ShopError as exc:  # refused before anything changed: the redirect commits nothing
        flash(exc.message, "error")
    else:
        flash(f"{member.email} is now {member.role}.")
    return redirect(url_for("admin.staff_detail", staff_id=member.id), code=303)


@bp.post("/staff/<int:staff_id>/active")
@roles(*ADMIN_ONLY)
def staff_active(staff_id):
    member = staff_services.get_staff(staff_id)
    active = request.form.get("active") == "1"
    try:
        staff_services.set_active(member, active, by=current_user)
    except ShopError as exc:  # refused before anything changed: the redirect commits nothing
        flash(exc.message, "error")
    else:
        flash(f"{member.email} is {'active again' if active else 'deactivated: their sessions and tokens stop working'}.")
    return redirect(url_for("admin.staff_detail", staff_id=member.id), code=303)


@bp.post("/staff/<int:staff_id>/second-factor/reset")
@roles(*ADMIN_ONLY)
def staff_second_factor_reset(staff_id):
    """A member lost their phone and recovery codes: they set up the second factor again."""
    member = staff_services.get_staff(staff_id)
    reset_second_factor(member)
    flash(f"{member.email}'s second factor is reset; they set it up again at their next sign-in.")
    return redirect(url_for("admin.staff_detail", staff_id=member.id), code=303)


@bp.post("/staff/<int:staff_id>/tokens")
@roles(*ADMIN_ONLY)
def staff_token_issue(staff_id):
    member = staff_services.get_staff(staff_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _detail_page(member, token_form=form, status=422)
    token = issue_token(member, name=form.name.data)
    # Shown once, in this answer only (never flashed into the session cookie).
    return _detail_page(member, new_token=token, status=201)


@bp.post("/staff/<int:staff_id>/tokens/<int:token_id>/revoke")
@roles(*ADMIN_ONLY)
def staff_token_revoke(staff_id, token_id):
    member = staff_services.get_staff(staff_id)
    staff_services.revoke_staff_token(member, token_id)
    flash("Token revoked.")
    return redirect(url_for("admin.staff_detail", staff_id=member.id), code=303)


def _detail_page(member, *, role_form=None, token_form=None, new_token=None, status=200):
    role_form = role_form or RoleForm(formdata=None, role=member.role)
    token_form = token_form or TokenForm(formdata=None)
    return render_template("admin/staff/detail.html", member=member, role_form=role_form,
                           token_form=token_form, new_token=new_token,
                           second_factor_due=enrolment_required(member)), status
