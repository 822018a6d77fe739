"""/healthz answers while the process runs; /readyz only while the database and the broker answer."""
import os

import pytest

from shop import create_app


def _standalone(database_url="sqlite://", broker="memory://"):
    # Not make_app: its clean-up would reach for the unreachable database.
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                       "CELERY_BROKER_URL": broker})


def test_healthz_needs_nothing_but_the_process(tmp_path):
    app = _standalone(f"sqlite:///{tmp_path}/no-such-dir/x.sqlite3", broker="redis://127.0.0.1:9/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_200_when_both_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": True, "broker": True}}


def test_readyz_is_503_when_the_database_is_unreachable():
    # A PostgreSQL address where nothing listens (port 9, "discard", is closed on loopback).
    app = _standalone("postgresql+psycopg://postgres@127.0.0.1:9/shop?connect_timeout=2")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": False, "broker": True}


def test_readyz_is_503_when_the_broker_is_unreachable():
    app = _standalone(broker="redis://127.0.0.1:9/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": True, "broker": False}}


@pytest.mark.redis
def test_readyz_on_the_real_database_and_broker(make_app):
    app = make_app(CELERY_BROKER_URL=os.environ["TEST_REDIS_URL"])
    assert app.test_client().get("/readyz").status_code == 200
