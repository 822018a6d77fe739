"""Extensions, created unbound; `create_app` binds them to an app."""
import logging

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as _LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy as _SQLAlchemy
from flask_wtf import CSRFProtect

from shop import limits_storage  # noqa: F401  registers the database+ rate-limit storage schemes
from shop.db import DATABASE_UNAVAILABLE, Base
from shop.openapi import SecurityPlugin

log = logging.getLogger(__name__)


class LoginManager(_LoginManager):
    """Flask-Login, whose after-request hook leaves the API alone.

    The hook looks in the session for the mark `login_user`/`logout_user` leave there (staff
    signing in or out of the admin). The API is authenticated by tokens and never signs anyone
    in; looking at its session would only add `Vary: Cookie` to answers that do not vary by one.
    """

    def _update_remember_cookie(self, response):
        if request.path.startswith("/api/"):
            return response
        return super()._update_remember_cookie(response)


class SQLAlchemy(_SQLAlchemy):
    """Flask-SQLAlchemy, whose end-of-request clean-up survives a database that has gone away.

    The session is closed once the answer is decided, rolling back whatever it still had open.
    If PostgreSQL restarts or cuts the connection in between, that ROLLBACK fails; the server has
    already thrown the transaction away, so the failure changes nothing, and the answer (a 200,
    or the 503 the error handler chose) must still reach the customer instead of a 500.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except DATABASE_UNAVAILABLE as error:
            log.warning("Database connection lost while closing the session: %s", type(error).__name__)
            self.session.registry.clear()


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
api = Api(spec_kwargs={"extra_plugins": [SecurityPlugin()]})
