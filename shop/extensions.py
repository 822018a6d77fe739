"""Extensions, created unbound; `create_app` binds them to an app."""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as _LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from shop.db import Base


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


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
api = Api()
