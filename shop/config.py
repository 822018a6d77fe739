"""Settings, read from the environment when the app is created (never at import time).

Every setting of API.md has an environment variable of the same name. A `.env` file in the
working directory is read in development (python-dotenv, through Flask's CLI).
"""
import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The settings cannot run a store safely; the message says which one and why."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def sqlite_url(instance_path: str, name: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / name)


def from_environment(instance_path: str) -> dict:
    """The configuration the environment asks for, with development defaults."""
    env = os.environ.get("SHOP_ENV", "development").lower()
    database_url = os.environ.get("DATABASE_URL") or sqlite_url(instance_path, "shop.sqlite3")
    return {
        "SHOP_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "ALLOW_SQLITE_IN_PRODUCTION": _bool(os.environ.get("ALLOW_SQLITE_IN_PRODUCTION")),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL")
        or "sqla+" + sqlite_url(instance_path, "broker.sqlite3"),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY") or "sk_test_local_standin",
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET") or "whsec_local_standin",
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE") or None,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS")),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "Mag R&R <care@shop.localhost>",
        "SHOP_TIMEZONE": os.environ.get("SHOP_TIMEZONE") or "America/New_York",
        "SHOP_NAME": os.environ.get("SHOP_NAME") or "Rest & Restore Supplements",
        "PUBLIC_URL": (os.environ.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "FOLLOWUP_EVENING_HOUR": _int("FOLLOWUP_EVENING_HOUR", 19),
        "REORDER_BUFFER_DAYS": _int("REORDER_BUFFER_DAYS", 7),
        "FOLLOWUP_LINK_MAX_AGE_DAYS": _int("FOLLOWUP_LINK_MAX_AGE_DAYS", 120),
        "DISPATCH_BATCH_SIZE": _int("DISPATCH_BATCH_SIZE", 500),
        "DISPATCH_HELPERS": _int("DISPATCH_HELPERS", 1),
        "UNSUBSCRIBE_MAILTO": os.environ.get("UNSUBSCRIBE_MAILTO") or None,
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        "EMAIL_RETRY_BACKOFF_SECONDS": _int("EMAIL_RETRY_BACKOFF_SECONDS", 30),
        "CELERY_QUEUE": os.environ.get("CELERY_QUEUE") or "celery",
        "CELERY_VISIBILITY_TIMEOUT": _int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or "memory://",
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 64 * 1024),
        "CATALOGUE_CACHE_SECONDS": _int("CATALOGUE_CACHE_SECONDS", 30),
        "REVIEWS_RATE_LIMIT_IP": os.environ.get("REVIEWS_RATE_LIMIT_IP") or "30/hour",
        "REVIEWS_RATE_LIMIT_EMAIL": os.environ.get("REVIEWS_RATE_LIMIT_EMAIL") or "5/hour",
        "CATALOGUE_VERSION_CHECK_MS": _int("CATALOGUE_VERSION_CHECK_MS", 500),
    }


def normalise_database_url(url: str) -> str:
    """Operators paste `postgres://` URLs from their host; SQLAlchemy wants the driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def finalise(config: dict, instance_path: str | None = None) -> None:
    """Check the settings once they are all known; fill in what development may default."""
    production = config.get("SHOP_ENV") == "production"
    if production:
        if not config.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set in production (SHOP_ENV=production).")
        uses_sqlite = config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        if uses_sqlite and not config.get("ALLOW_SQLITE_IN_PRODUCTION"):
            raise ConfigError(
                "DATABASE_URL points at SQLite in production; use PostgreSQL, "
                "or set ALLOW_SQLITE_IN_PRODUCTION=true to accept a single-machine store."
            )
        config.setdefault("SESSION_COOKIE_SECURE", True)
        config.setdefault("REMEMBER_COOKIE_SECURE", True)
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = development_secret_key(instance_path)
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(config["SQLALCHEMY_DATABASE_URI"]))


def development_secret_key(instance_path: str | None) -> str:
    """A random key kept in instance/secret_key, made on first use.

    The web app, the worker and every CLI command must sign links with the same key: a link in
    a follow-up email (signed by the worker) has to open on the web app. Production never gets
    here: it refuses to start without SECRET_KEY.
    """
    if instance_path is None:
        return secrets.token_hex(32)
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Written whole to a private file, then linked into place: a process that loses the
        # race reads the winner's key, never a half-written one.
        draft = path.with_name(f"secret_key.{os.getpid()}")
        draft.write_text(secrets.token_hex(32), encoding="ascii")
        os.chmod(draft, 0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # WAL and a busy timeout let the web app, the worker and beat share one SQLite file.
        return {"connect_args": {"timeout": 30}}
    # A restarted PostgreSQL costs one reconnect, not a 500: the pool pings a connection
    # (`SELECT 1`) as it checks it out and replaces one the server closed.
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
