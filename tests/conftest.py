"""Fixtures: an app per test on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), factories.

The schema is created once per run; each test starts from empty tables. With PostgreSQL, the
run gets a database of its own (created and dropped here), so parallel runs do not collide.
"""
import os
import secrets
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shop import create_app
from shop.extensions import db as _db

POSTGRES_HINT = (
    "needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test "
    "(.ci/run does)"
)
REDIS_HINT = "needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/0 (.ci/run does)"


def pytest_collection_modifyitems(config, items):
    on_postgres = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")
    has_redis = bool(os.environ.get("TEST_REDIS_URL"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason=POSTGRES_HINT))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason=REDIS_HINT))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "shop.sqlite3")
        return
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            ), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        _db.create_all()
        _db.engine.dispose()
    return database_url


def _test_config(database_url: str, instance_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "CELERY_BROKER_URL": "memory://",
        "MAIL_SERVER": None,
        "PUBLIC_URL": "http://shop.test",
        "STRIPE_SECRET_KEY": "sk_test_123",
        "STRIPE_WEBHOOK_SECRET": "whsec_test_secret",
        "SERVER_NAME": None,
        "MEDIA_ROOT": str(Path(instance_path) / "media"),
    }


@pytest.fixture
def make_app(_schema, tmp_path):
    """Build an app with extra settings; the tables are emptied after the test."""
    apps = []

    def build(**overrides):
        config = _test_config(_schema, tmp_path)
        config["TASKS_CAPTURE"] = []
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _empty_tables()
            _db.engine.dispose()


def _empty_tables():
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def run_tasks(app):
    """Run the tasks the code under test enqueued after commit, as the worker would (in order).

    Returns how many ran. Tasks enqueued by those tasks run too.
    """

    def run() -> int:
        captured = app.config["TASKS_CAPTURE"]
        count = 0
        while captured:
            task, args = captured.pop(0)
            with app.app_context():
                task.run(*args)
                _db.session.remove()
            count += 1
        return count

    return run


from tests.factories import *  # noqa: E402,F401,F403  the factory fixtures
