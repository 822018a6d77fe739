"""The steps of signing in to the admin panel, kept in the browser's session cookie.

After the password, a member with a second factor is "pending": the cookie names them (and
their session version) for a few minutes, until the code is entered. Only then does a
server-side session start (`shop.accounts.sessions`) and Flask-Login sign them in.
"""
import time

from flask import current_app, session
from flask_login import login_user

from shop.accounts.models import Staff
from shop.accounts.sessions import start_session
from shop.extensions import db

PENDING_KEY = "pending_sign_in"
PENDING_SECONDS = 300


def begin_pending(staff: Staff) -> None:
    """Password accepted; the second factor still to come. A fresh cookie (no session fixation)."""
    session.clear()
    session[PENDING_KEY] = {"staff": staff.id, "version": staff.session_version, "at": int(time.time())}


def pending_staff() -> Staff | None:
    """The member whose password this browser entered a moment ago, if still current."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or int(time.time()) - pending.get("at", 0) > PENDING_SECONDS:
        return None
    staff = db.session.get(Staff, pending.get("staff"))
    if staff is None or not staff.active or staff.session_version != pending.get("version"):
        return None
    return staff


def code_limit() -> str:
    """How many codes one member may try (ADMIN_CODE_RATE_LIMIT): six digits are few to guess."""
    return current_app.config.get("ADMIN_CODE_RATE_LIMIT", "5/minute;20/hour")


def pending_key() -> str:
    """The rate-limit key of code attempts: the pending member, whoever's browser it is."""
    pending = session.get(PENDING_KEY)
    return f"code:{pending.get('staff')}" if isinstance(pending, dict) else "code:none"


def sign_in(staff: Staff) -> None:
    """Start a server-side session for `staff` in a fresh cookie.

    The session row is flushed here and committed with the request's answer (`shop.unit_of_work`),
    before the redirect reaches the browser: the next request finds it.
    """
    session.clear()
    start_session(staff)
    login_user(staff)
