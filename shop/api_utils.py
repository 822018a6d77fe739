"""Helpers shared by every /api/v1 blueprint."""
from flask_smorest import Blueprint

from shop.extensions import csrf


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """An /api/v1 blueprint: JSON in, JSON out, authenticated by token, so no CSRF cookie."""
    blp = Blueprint(name, import_name, url_prefix="/api/v1" + url_prefix, description=description)
    csrf.exempt(blp)
    return blp
