"""Signing in (password, then a code for members with a second factor) and out of the admin
panel, and changing one's own password.

A sign-in's server-side session row is committed by the request's unit of work
(`shop.unit_of_work`) before the redirect leaves, so the page it leads to finds the session; a
refused attempt answers 401 or 422, which rolls back whatever the attempt touched.
"""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from shop.accounts.second_factor import verify_second_factor
from shop.accounts.services import authenticate, change_password
from shop.accounts.sessions import end_session
from shop.admin import sign_in as steps
from shop.admin.access import EVERY_ROLE, PUBLIC, roles
from shop.admin.blueprint import bp
from shop.admin.forms import CodeForm, LoginForm, PasswordChangeForm
from shop.errors import ShopError
from shop.extensions import limiter
from shop.urls import local_path

# One message for every failed sign-in: it never tells whether the account exists.
LOGIN_FAILED = "Email or password is incorrect"
CODE_FAILED = "That code is not right"


def _login_limit() -> str:
    return current_app.config["ADMIN_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@roles(PUBLIC)
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("admin.dashboard"))
    error = None
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is not None and staff.totp_enabled:
            steps.begin_pending(staff)
            return redirect(url_for("admin.login_code", next=next_url), code=303)
        if staff is not None:
            steps.sign_in(staff)
            return redirect(next_url or url_for("admin.dashboard"), code=303)
        error = LOGIN_FAILED
    elif request.method == "POST":
        error = LOGIN_FAILED
    status = 401 if error else 200
    return render_template("admin/login.html", form=form, error=error, next_url=next_url), status


@bp.route("/login/code", methods=["GET", "POST"])
@roles(PUBLIC)
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(steps.code_limit, key_func=steps.pending_key, methods=["POST"])
def login_code():
    """The second step: a code from the authenticator app, or a recovery code."""
    next_url = local_path(request.args.get("next"))
    staff = steps.pending_staff()
    if staff is None:
        flash("Sign in again: the sign-in was not finished in time.", "error")
        return redirect(url_for("admin.login", next=next_url), code=303)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if verify_second_factor(staff, form.code.data):
            steps.sign_in(staff)
            return redirect(next_url or url_for("admin.dashboard"), code=303)
        error = CODE_FAILED
    elif request.method == "POST":
        error = CODE_FAILED
    status = 401 if error else 200
    return render_template("admin/login_code.html", form=form, error=error, next_url=next_url), status


@bp.post("/logout")
@roles(*EVERY_ROLE)
def logout():
    end_session(current_user._get_current_object())  # a copy of the cookie opens nothing now
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@roles(*EVERY_ROLE)
def password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        staff = current_user._get_current_object()
        try:
            change_password(staff, form.current_password.data, form.new_password.data)  # ends every session
        except ShopError as exc:
            form.current_password.errors.extend(exc.errors.get("current_password", []))
            form.new_password.errors.extend(exc.errors.get("password", []))
            status = exc.code
        else:
            steps.sign_in(staff)  # this browser carries on in a new session
            flash("Your password is changed; other sessions are signed out. API tokens keep "
                  "working: an admin revokes them on the staff page.")
            return redirect(url_for("admin.dashboard"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/password.html", form=form), status
