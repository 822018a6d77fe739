"""The Alembic revisions build exactly the schema of the models, and take it down again.

This is `alembic check` as a test: upgrade a fresh database to head, then ask Alembic to
compare it with the models' metadata; any difference means a model changed without a revision.
"""
import os
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from shop.catalog.search import include_object
from shop.extensions import db


@pytest.fixture
def fresh_database_url(tmp_path):
    """A new, empty database: a new SQLite file, or a new PostgreSQL database (dropped after)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield f"sqlite:///{tmp_path}/migrated.sqlite3"
        return
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"shop_migrate_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(standalone_app, fresh_database_url):
    app = standalone_app(fresh_database_url)
    with app.app_context():
        # when every revision is applied to an empty database
        upgrade()
        # then Alembic finds no difference between that database and the models
        with db.engine.connect() as connection:
            # (as migrations/env.py does: the catalogue's search index lives outside the models)
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_object": include_object})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "models changed without a migration: " + repr(differences)
        # and going back to base leaves nothing but Alembic's own bookkeeping
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()
