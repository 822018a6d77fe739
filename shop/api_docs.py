"""A readable page of the OpenAPI document (served from here: no CDN, works offline)."""
from flask import Blueprint, render_template

from shop.extensions import api

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def docs():
    spec = api.spec.to_dict()
    operations = []
    for path, methods in sorted(spec.get("paths", {}).items()):
        for method, operation in methods.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                operations.append({"path": path, "method": method.upper(), **operation})
    return render_template("api_docs.html", spec=spec, operations=operations)
