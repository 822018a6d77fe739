"""Fixtures for foundation tests: apps on databases of their own (not the suite's schema)."""
import pytest

from shop import create_app


@pytest.fixture
def standalone_app(tmp_path, monkeypatch):
    """Build an app on any database URL, with test settings and nothing shared with the suite."""
    monkeypatch.setenv("SHOP_INSTANCE_PATH", str(tmp_path / "instance"))

    def build(database_url: str, **overrides):
        config = {
            "TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
            "CELERY_BROKER_URL": "memory://", "MAIL_SERVER": None, "TASKS_CAPTURE": [],
        }
        config.update(overrides)
        return create_app(config)

    return build
