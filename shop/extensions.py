"""Extensions, created unbound; `create_app` binds them to an app (shop/framework.py adjusts two)."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from shop import limits_storage  # noqa: F401  registers the database+ rate-limit storage schemes
from shop.db import Base
from shop.openapi import SecurityPlugin

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
api = Api(spec_kwargs={"extra_plugins": [SecurityPlugin()]})
