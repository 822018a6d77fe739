"""The sign-in form of the account page (CSRF-protected through Flask-WTF, as every page form).

The view it posts to also takes JSON, so it is exempt from the app-wide CSRF check; the form
checks its own token instead (and, like the app-wide check, not when WTF_CSRF_ENABLED is off).
"""
from flask_wtf import FlaskForm
from wtforms import StringField


class SignInForm(FlaskForm):
    """Only the CSRF token is validated here; the address is checked by `login.request_sign_in`."""

    email = StringField("Your email address")
