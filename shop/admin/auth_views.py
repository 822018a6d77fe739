"""Signing in and out of the admin panel, and changing one's own password."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from shop.accounts.services import authenticate, set_password
from shop.admin.access import EVERY_ROLE, PUBLIC, roles, safe_next
from shop.admin.blueprint import bp
from shop.admin.forms import LoginForm, PasswordChangeForm
from shop.errors import ShopError
from shop.extensions import db, limiter

# One message for every failed sign-in: it never tells whether the account exists.
LOGIN_FAILED = "Email or password is incorrect"


def _login_limit() -> str:
    return current_app.config["ADMIN_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@roles(PUBLIC)
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("admin.dashboard"))
    error = None
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is not None:
            # A fresh session on sign-in: nothing planted before it (session fixation) survives.
            session.clear()
            login_user(staff)
            return redirect(next_url or url_for("admin.dashboard"), code=303)
        error = LOGIN_FAILED
    elif request.method == "POST":
        error = LOGIN_FAILED
    status = 401 if error else 200
    return render_template("admin/login.html", form=form, error=error, next_url=next_url), status


@bp.post("/logout")
@roles(*EVERY_ROLE)
def logout():
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
        if authenticate(staff.email, form.current_password.data) is None:
            form.current_password.errors.append("The current password is not right")
            status = 422
        else:
            try:
                set_password(staff, form.new_password.data)  # ends every other session
            except ShopError as exc:
                form.new_password.errors.extend(exc.errors.get("password", [exc.message]))
                status = 422
            else:
                db.session.commit()
                session.clear()
                login_user(staff)  # this session carries on with the new session version
                flash("Your password is changed; other sessions are signed out.")
                return redirect(url_for("admin.dashboard"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/password.html", form=form), status
