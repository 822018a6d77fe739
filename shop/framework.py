"""Where the shop adjusts Flask and its extensions: public extension points only, all here.

- The JSON API has no cookie session. Its callers authenticate with tokens (an order token, a
  staff API token), never with a cookie, so `CookieSessions` gives `/api/v1/` requests
  Flask's null session (`SessionInterface.open_session` returning None, as documented). Flask
  saves no null session, so no API answer sets a cookie or says `Vary: Cookie` (Flask-Login's
  after-request hook reads the session on every request, which would otherwise add it), and the
  request skips reading and verifying a cookie it has no use for.
- Flask's JSON parser refuses a body holding a lone surrogate (`shop.text_input.JSONProvider`,
  installed as `app.json`, Flask's documented way to choose a JSON provider).
- The request's database session is closed by the shop, before Flask-SQLAlchemy would
  (`close_session_at_teardown`, a `teardown_appcontext` function registered after
  `db.init_app`: Flask runs those in reverse order of registration). If PostgreSQL went away
  since the answer was decided, the ROLLBACK that closing sends fails; the server has already
  thrown the transaction away, so the failure changes nothing, and the answer (a 200, or the 503
  the error handler chose) must still reach the customer instead of a 500. Flask-SQLAlchemy's
  own clean-up then finds no session left and does nothing.

tests/foundation/test_framework.py checks that the installed Flask and Flask-SQLAlchemy still
behave as both rely on.
"""
import logging

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from shop.db import DATABASE_UNAVAILABLE
from shop.extensions import db
from shop.text_input import JSONProvider

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions for pages; none for the token-authenticated API."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return None  # Flask uses its null session: readable, empty, never saved
        return super().open_session(app, request)


def close_session_at_teardown(exc: BaseException | None = None) -> None:
    try:
        db.session.remove()
    except DATABASE_UNAVAILABLE as error:
        log.warning("Database connection lost while closing the session: %s", type(error).__name__)
        db.session.registry.clear()


def init_framework(app: Flask) -> None:
    """Call after `db.init_app(app)`."""
    if app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
        # Flask-Login would then write to every request's session, the API's null one included.
        raise ValueError("REMEMBER_COOKIE_REFRESH_EACH_REQUEST is not supported: the API has no session")
    app.json = JSONProvider(app)
    app.session_interface = CookieSessions()
    app.teardown_appcontext(close_session_at_teardown)
