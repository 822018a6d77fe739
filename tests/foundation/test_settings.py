"""Settings come from the environment; production refuses what would be unsafe."""
import pytest

from shop import create_app
from shop.config import SETTINGS, ConfigError, normalise_database_url

POSTGRES = "postgresql+psycopg://shop:pw@db.example:5432/shop"
PRODUCTION_SECRETS = {"SECRET_KEY": "s" * 64, "STRIPE_SECRET_KEY": "sk_live_own_key",
                      "STRIPE_WEBHOOK_SECRET": "whsec_own_secret"}


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment: none of the shop's settings set, the instance folder in tmp."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("SHOP_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


@pytest.fixture
def production(env):
    """SHOP_ENV=production on PostgreSQL with secrets of its own."""
    env.setenv("SHOP_ENV", "production")
    env.setenv("DATABASE_URL", POSTGRES)
    for name, value in PRODUCTION_SECRETS.items():
        env.setenv(name, value)
    return env


def test_development_defaults_need_no_settings(env, tmp_path):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/shop.sqlite3"
    assert app.config["CELERY_BROKER_URL"].startswith("sqla+sqlite:///")
    assert app.config["SHOP_TIMEZONE"] == "America/New_York"
    assert len(app.config["SECRET_KEY"]) == 64  # random, kept in instance/secret_key
    assert app.config["MAIL_SERVER"] is None  # the development outbox


def test_development_processes_share_one_signing_key(env, tmp_path):
    """Given no SECRET_KEY in development, when the web app, the worker and a CLI command each
    build the app, then they sign with the same key (a follow-up link the worker signs opens on
    the web app), and the key is not readable by other users."""
    web, worker = create_app(), create_app()
    assert web.config["SECRET_KEY"] == worker.config["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == web.config["SECRET_KEY"]
    assert key_file.stat().st_mode & 0o077 == 0


def test_settings_are_read_from_the_environment(env):
    env.setenv("DATABASE_URL", POSTGRES)
    env.setenv("MAIL_SERVER", "smtp.example")
    env.setenv("MAIL_PORT", "2525")
    env.setenv("PUBLIC_URL", "https://shop.example/")
    env.setenv("SHOP_TIMEZONE", "Europe/Paris")
    env.setenv("CATALOGUE_CACHE_SECONDS", "5")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == POSTGRES
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) == ("smtp.example", 2525)
    assert app.config["PUBLIC_URL"] == "https://shop.example"
    assert app.config["SHOP_TIMEZONE"] == "Europe/Paris"
    assert app.config["CATALOGUE_CACHE_SECONDS"] == 5


def test_a_malformed_number_is_refused_by_name(env):
    env.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        create_app()


@pytest.mark.parametrize("name", sorted(PRODUCTION_SECRETS))
def test_production_refuses_to_start_without_each_secret(production, name):
    # given production with one secret missing
    production.delenv(name)
    # when / then
    with pytest.raises(ConfigError, match=f"{name} must be set in production"):
        create_app()


@pytest.mark.parametrize("name, published", [
    ("STRIPE_SECRET_KEY", "sk_test_local_standin"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_local_standin"),
    ("SECRET_KEY", "bench-secret-key"),
])
def test_production_refuses_the_published_development_values(production, name, published):
    """Given production with a secret the README publishes (anyone could sign a webhook that marks
    an order paid with the stand-in's secret), the app refuses to start and names the setting."""
    production.setenv(name, published)
    with pytest.raises(ConfigError, match=f"{name} is a published development value"):
        create_app()


def test_production_refuses_sqlite_unless_allowed(production):
    production.delenv("DATABASE_URL")
    with pytest.raises(ConfigError, match="ALLOW_SQLITE_IN_PRODUCTION"):
        create_app()
    production.setenv("ALLOW_SQLITE_IN_PRODUCTION", "true")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_starts_with_its_own_secrets_and_postgresql(production):
    app = create_app()
    assert app.config["SECRET_KEY"] == "s" * 64
    assert app.config["STRIPE_WEBHOOK_SECRET"] == "whsec_own_secret"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_defaults_to_the_stand_in_keys(env):
    app = create_app()
    assert app.config["STRIPE_SECRET_KEY"] == "sk_test_local_standin"
    assert app.config["STRIPE_WEBHOOK_SECRET"] == "whsec_local_standin"


@pytest.mark.parametrize("name, raw, expected", [
    ("METRICS_TOKEN", "scrape-me", "scrape-me"),
    ("ADMIN_LOGIN_RATE_LIMIT", "3/minute", "3/minute"),
    ("GUARANTEE_REFUND_SHIPPING", "false", False),
    ("SHIPPING_COUNTRIES", "us, CA,us", ("US", "CA")),
    ("STRIPE_AUTOMATIC_TAX", "true", True),
    ("GUARANTEE_PARTIAL_REFUNDS", "no", False),
    ("TRUSTED_PROXIES", "1", 1),
    ("LOG_FORMAT", "text", "text"),
])
def test_every_setting_comes_from_the_environment(env, name, raw, expected):
    env.setenv(name, raw)
    assert create_app().config[name] == expected


def test_shipping_countries_default_to_the_us_and_refuse_what_is_no_country(env):
    assert create_app().config["SHIPPING_COUNTRIES"] == ("US",)
    assert create_app().config["STRIPE_AUTOMATIC_TAX"] is False
    for raw in ("US,XX", "USA", " , "):
        env.setenv("SHIPPING_COUNTRIES", raw)
        with pytest.raises(ConfigError, match="SHIPPING_COUNTRIES"):
            create_app()


def test_a_malformed_flag_is_refused_by_name(env):
    env.setenv("RATELIMIT_ENABLED", "maybe")
    with pytest.raises(ConfigError, match="RATELIMIT_ENABLED"):
        create_app()


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
    ("postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
])
def test_database_urls_are_normalised(given, expected):
    assert normalise_database_url(given) == expected


def test_a_postgres_url_from_the_environment_is_normalised(env):
    env.setenv("DATABASE_URL", "postgres://shop:pw@db.example/shop")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://shop:pw@db.example/shop"


def test_test_config_overrides_the_environment(env):
    env.setenv("DATABASE_URL", POSTGRES)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
