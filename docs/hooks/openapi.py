"""MkDocs hook: the HTTP API page lists the operations of the app's own OpenAPI document.

The table is made from the document at build time, so the docs cannot fall behind the routes.
"""
import os
import tempfile

MARKER = "<!-- openapi-operations -->"


def _document() -> dict:
    os.environ.setdefault("SHOP_INSTANCE_PATH", tempfile.mkdtemp(prefix="shop-docs-"))
    from shop import create_app
    from shop.extensions import api

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "docs-build"})
    with app.app_context():
        return api.spec.to_dict()


def _table(document: dict) -> str:
    schemes = {"staffToken": "staff bearer token", "orderToken": "`X-Order-Token`"}
    rows = ["| method | path | needs | what it does |", "| --- | --- | --- | --- |"]
    for path, operations in sorted(document["paths"].items()):
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            needs = ", ".join(schemes.get(name, name) for s in operation.get("security", [])
                              for name in s) or "nothing"
            summary = (operation.get("summary") or operation.get("description") or "").split("\n")[0]
            rows.append(f"| `{method.upper()}` | `{path}` | {needs} | {summary.replace('|', '/')} |")
    return "\n".join(rows)


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, _table(_document()))
