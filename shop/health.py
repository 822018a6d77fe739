"""Liveness and readiness for load balancers and orchestrators."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from shop.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready", reported as such
        current_app.logger.warning("readyz: database unreachable", exc_info=True)
        db.session.rollback()
        return False


def _broker_ok() -> bool:
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        current_app.logger.warning("readyz: broker unreachable", exc_info=True)
        return False
