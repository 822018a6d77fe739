"""Settings: every one is declared here once, and read from the environment here only.

`SETTINGS` is the registry: each entry names an environment variable, its type, its default and
what it does. `from_environment()` reads them all when the app is created (never at import
time); `finalise()` checks them. Adding a setting is one `Setting(...)` line below; its row in
docs/operations/settings.md is generated from it (`python -m shop.config_docs`), and a test
fails while the two disagree. A `.env` file in the working directory is read in development
(python-dotenv, through Flask's CLI).
"""
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from shop.config_types import (COUNTRIES, FLAG, NUMBER, TEXT, URL, ConfigError, SettingType, database_url,
                               normalise_database_url)

__all__ = ["ConfigError", "SETTINGS", "Setting", "from_environment", "finalise", "normalise_database_url", "read"]

log = logging.getLogger(__name__)

PRODUCTION = "production"
DEVELOPMENT_POSTAL_ADDRESS = "100 Example Street, Springfield, OR 97477, USA"


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable (and, unless `key` says otherwise, the config key)
    type: SettingType
    default: Any  # a value, or a function of (the settings read so far, the instance folder)
    description: str
    shown_default: str | None = None  # how the docs show a default that is worked out
    key: str | None = None
    required_in_production: bool = False  # then `default` serves development only

    @property
    def config_key(self) -> str:
        return self.key or self.name


def _instance_sqlite(name: str) -> Callable[[dict, str], str]:
    return lambda _values, instance_path: sqlite_url(instance_path, name)


S = Setting
SETTINGS: tuple[Setting, ...] = (
    S("SHOP_ENV", TEXT, "development",
      "`production` turns on the start-up checks, secure cookies, the HTTPS redirect and HSTS"),
    S("SHOP_INSTANCE_PATH", TEXT, None, "where the SQLite files of the defaults and the development key live",
      "`instance/` beside the code"),
    S("SECRET_KEY", TEXT, None, "signs sessions, CSRF tokens and the links in emails",
      "random, kept in `instance/secret_key`", required_in_production=True),
    S("DATABASE_URL", database_url, _instance_sqlite("shop.sqlite3"),
      "SQLAlchemy URL; `postgres://` and `postgresql://` are read as `postgresql+psycopg://`",
      "`sqlite:///instance/shop.sqlite3`", key="SQLALCHEMY_DATABASE_URI"),
    S("ALLOW_SQLITE_IN_PRODUCTION", FLAG, False, "accept a single-machine store on SQLite in production"),
    S("CELERY_BROKER_URL", TEXT, lambda _v, path: "sqla+" + sqlite_url(path, "broker.sqlite3"),
      "the worker's broker; the default needs no server, production uses Redis",
      "`sqla+sqlite:///instance/broker.sqlite3`"),
    S("CELERY_QUEUE", TEXT, "celery", "the queue the web sends tasks to and the worker reads"),
    S("CELERY_VISIBILITY_TIMEOUT", NUMBER, 3600,
      "seconds before Redis hands a task a dead worker held to another worker"),
    S("REDIS_URL", TEXT, None, "Redis for shared state in production; also the default of `RATELIMIT_STORAGE_URI`"),
    S("RATELIMIT_ENABLED", FLAG, True, "`false` turns every rate limit off (load tests)"),
    S("RATELIMIT_STORAGE_URI", TEXT, lambda values, _path: values["REDIS_URL"],
      "where the rate limits count; every web process must see the same counters",
      "`REDIS_URL`, else the store's own database (`database+` its URL)"),
    S("CHECKOUT_RATE_LIMIT", TEXT, "20/hour", "checkouts a client address may start (the API and the cart together)"),
    S("CHECKOUT_MAX_UNPAID_UNITS", NUMBER, 100,
      "units that unpaid orders of one client address or email may hold at once; `0` turns the cap off"),
    S("BACK_IN_STOCK_RATE_LIMIT", TEXT, "10/hour",
      "\"email me when it's back\" requests per client IP (the out-of-stock product page's form)"),
    S("LOW_STOCK_THRESHOLD", NUMBER, 20,
      "bottles in stock at or below which a paid order alerts admins by email (once per crossing) "
      "and the dashboard lists the product"),
    S("REVIEWS_RATE_LIMIT_IP", TEXT, "30/hour", "review and question posts per client IP"),
    S("REVIEWS_RATE_LIMIT_EMAIL", TEXT, "5/hour", "review and question posts per email address"),
    S("ADMIN_LOGIN_RATE_LIMIT", TEXT, "10/minute", "staff sign-in attempts per client IP"),
    S("ADMIN_CODE_RATE_LIMIT", TEXT, "5/minute;20/hour", "second-factor code attempts per member of staff"),
    S("ACCOUNT_LOGIN_RATE_LIMIT", TEXT, "20/hour",
      "sign-in links a client address may ask for (`POST /account/login`, the page and JSON together)"),
    S("ACCOUNT_LOGIN_RATE_LIMIT_EMAIL", TEXT, "5/hour", "sign-in links one email address may be sent"),
    S("ACCOUNT_SESSION_DAYS", NUMBER, 30, "how long a customer stays signed in to their account"),
    S("STAFF_TOTP_REQUIRED", FLAG, None,
      "admins and support must sign in with a code from an authenticator app (TOTP)",
      "`true` in production, `false` otherwise"),
    S("STAFF_SESSION_HOURS", NUMBER, 12, "how long an admin session lasts"),
    S("STRIPE_SECRET_KEY", TEXT, "sk_test_local_standin", "Stripe API key", required_in_production=True),
    S("STRIPE_WEBHOOK_SECRET", TEXT, "whsec_local_standin",
      "verifies the `Stripe-Signature` of webhooks", required_in_production=True),
    S("STRIPE_API_BASE", TEXT, None, "where the SDK sends API calls (the local stand-in: `http://127.0.0.1:12111`)",
      "unset (Stripe itself)"),
    S("SHIPPING_COUNTRIES", COUNTRIES, ("US",),
      "where the store ships: ISO 3166-1 codes, comma-separated (`US,CA`); Stripe Checkout collects "
      "an address in one of them", "`US`"),
    S("STRIPE_AUTOMATIC_TAX", FLAG, False,
      "Stripe computes and charges sales tax/VAT at checkout (Stripe Tax must be set up in the "
      "Stripe account); the shop records what Stripe charged"),
    S("MAIL_SERVER", TEXT, None, "SMTP host", "unset (development outbox)"),
    S("MAIL_PORT", NUMBER, 25, "SMTP port"),
    S("MAIL_USERNAME", TEXT, None, "SMTP login"),
    S("MAIL_PASSWORD", TEXT, None, "SMTP password"),
    S("MAIL_USE_TLS", FLAG, False, "STARTTLS"),
    S("MAIL_DEFAULT_SENDER", TEXT, "Mag R&R <care@shop.localhost>", "the From of every email"),
    S("MAIL_TIMEOUT", NUMBER, 30, "seconds before an SMTP conversation counts as failed (and is retried)"),
    S("EMAIL_RETRY_BACKOFF_SECONDS", NUMBER, 30,
      "first wait before a failed email is retried (doubling, at most 4 min, 10 tries)"),
    S("EMAIL_CLAIM_LEASE_SECONDS", NUMBER, 120,
      "how long a worker holds an email it is sending before the sweep may hand it to another"),
    S("EMAIL_SWEEP_SECONDS", NUMBER, 60, "how often beat hands the worker emails whose lease ran out"),
    S("UNSUBSCRIBE_MAILTO", TEXT, None, "the mailto of `List-Unsubscribe`", "`unsubscribe@` the sender's domain"),
    S("SHOP_NAME", TEXT, "Rest & Restore Supplements", "shown in pages and emails"),
    S("SHOP_TIMEZONE", TEXT, "America/New_York", "the store's clock for follow-up evenings"),
    S("PUBLIC_URL", URL, "http://127.0.0.1:5000",
      "the store's address: base of links in emails, and where production redirects plain HTTP"),
    S("TRUSTED_PROXIES", NUMBER, 0,
      "how many reverse proxies stand in front; their `X-Forwarded-For`/`-Proto` are believed, no one else's"),
    S("FOLLOWUP_EVENING_HOUR", NUMBER, 19, "the local hour titration follow-ups go out"),
    S("REORDER_BUFFER_DAYS", NUMBER, 7, "how many days before the bottle runs out the reorder reminder goes"),
    S("RENEWAL_NOTICE_DAYS", NUMBER, 3,
      "how many days before a subscription renews the \"your next bottle ships on\" email goes"),
    S("FOLLOWUP_LINK_MAX_AGE_DAYS", NUMBER, 120, "how long the signed links in follow-up emails work"),
    S("DISPATCH_BATCH_SIZE", NUMBER, 500, "follow-ups the beat task claims per transaction"),
    S("DISPATCH_HELPERS", NUMBER, 1,
      "on PostgreSQL, how many more worker processes a backlog asks to join a dispatch pass"),
    S("FOLLOWUP_RETENTION_DAYS", NUMBER, 180,
      "days a sent, skipped or cancelled follow-up is kept after its last change; the retention job "
      "deletes it then (`0` keeps them all); at least `FOLLOWUP_LINK_MAX_AGE_DAYS`"),
    S("EMAIL_BODY_RETENTION_DAYS", NUMBER, 90,
      "days a sent email keeps its body; the retention job then replaces the text and HTML by a notice "
      "and keeps the row (to, kind, subject, status, times); `0` keeps every body"),
    S("STRIPE_EVENT_RETENTION_DAYS", NUMBER, 45,
      "days a received Stripe webhook event is kept (its id makes a redelivery a no-op); at least 31, "
      "since Stripe may send an event again for 30 days; `0` keeps them all"),
    S("RETENTION_BATCH_SIZE", NUMBER, 5000,
      "rows the retention job deletes or trims per statement (each batch its own transaction)"),
    S("MAX_CONTENT_LENGTH", NUMBER, 64 * 1024, "largest request body in bytes; larger answers 413"),
    S("CATALOGUE_CACHE_SECONDS", NUMBER, 30, "how long a process keeps catalogue data; `0` turns the cache off"),
    S("CATALOGUE_VERSION_CHECK_MS", NUMBER, 500, "how often a process re-reads the catalogue version"),
    S("CATALOGUE_MAX_AGE", NUMBER, 30, "seconds browsers and caches may keep the public catalogue answers"),
    S("MEDIA_STORAGE", TEXT, "local",
      "where uploaded pictures are stored: `local` (the folder `MEDIA_ROOT`) or `s3` (an S3-compatible bucket)"),
    S("MEDIA_ROOT", TEXT, lambda _v, path: str(Path(path) / "media"),
      "the folder of `MEDIA_STORAGE=local`", "`instance/media`"),
    S("MEDIA_S3_BUCKET", TEXT, None, "the bucket of `MEDIA_STORAGE=s3` (credentials: boto3's own chain, e.g. `AWS_ACCESS_KEY_ID`)"),
    S("MEDIA_S3_ENDPOINT_URL", TEXT, None, "an S3-compatible store's endpoint (MinIO, R2...)", "unset (AWS S3)"),
    S("MEDIA_S3_REGION", TEXT, None, "the bucket's region"),
    S("MEDIA_S3_PREFIX", TEXT, None, "a folder inside the bucket for the shop's files"),
    S("MEDIA_PUBLIC_URL", URL, None,
      "where browsers fetch pictures from (a CDN or the bucket's public address); unset, the shop serves `/media/`"),
    S("MEDIA_MAX_UPLOAD_BYTES", NUMBER, 10 * 1024 * 1024, "the largest picture staff may upload, in bytes"),
    S("MEDIA_MAX_PIXELS", NUMBER, 40_000_000, "the most pixels (width × height) an uploaded picture may have"),
    S("STORE_POSTAL_ADDRESS", TEXT,
      lambda values, _path: None if values["SHOP_ENV"].lower() == PRODUCTION else DEVELOPMENT_POSTAL_ADDRESS,
      "the store's postal address, printed in the footer of every marketing email (CAN-SPAM) and on the "
      "contact page; production warns at start while it is unset",
      "a placeholder in development; unset in production"),
    S("GUARANTEE_REFUND_SHIPPING", FLAG, True,
      "refunds may give back what Stripe charged for shipping too; `false`: what may be refunded "
      "excludes it (never more than Stripe charged either way)"),
    S("GUARANTEE_ONE_PER_EMAIL", FLAG, True,
      "flag a claim from an email that claimed before (`repeat_claimer`); it is never refused for that"),
    S("GUARANTEE_PARTIAL_REFUNDS", FLAG, True, "staff may approve less than what is refundable"),
    S("LOG_FORMAT", TEXT, "json", "`text` for plain log lines instead of one JSON object per line"),
    S("ACCESS_LOG", FLAG, True, "`false` drops the one `shop.access` line per request"),
    S("METRICS_TOKEN", TEXT, None,
      "bearer token `/metrics` asks for; unset: `/metrics` answers 404 in production, anyone in development"),
    S("PROMETHEUS_MULTIPROC_DIR", TEXT, None,
      "prometheus-client's multiprocess mode (gunicorn): an empty directory shared by the processes"),
)

# Values published for local development (README, Makefile, the Stripe stand-in, the benchmarks)
# and placeholders: anyone may sign a webhook or a session with them, so production refuses them.
PUBLISHED_DEVELOPMENT_VALUES = frozenset({
    "sk_test_local_standin", "whsec_local_standin", "sk_test_standin", "whsec_test_standin",
    "bench-secret-key", "secret", "changeme", "change-me", "dev", "development",
})


def read(name: str) -> Any:
    """One setting as the environment gives it (None when unset), for what runs before the app."""
    setting = _BY_NAME[name]
    raw = os.environ.get(name)
    return None if raw in (None, "") else setting.type.parse(name, raw)


def from_environment(instance_path: str) -> dict:
    """The configuration the environment asks for; development defaults where it says nothing."""
    values: dict[str, Any] = {}
    production = (read("SHOP_ENV") or "").lower() == PRODUCTION
    for setting in SETTINGS:
        value = read(setting.name)
        if value is None and not (production and setting.required_in_production):
            value = setting.default(values, instance_path) if callable(setting.default) else setting.default
        values[setting.name] = value
    values["SHOP_ENV"] = values["SHOP_ENV"].lower()
    return {setting.config_key: values[setting.name] for setting in SETTINGS}


def sqlite_url(instance_path: str, name: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / name)


def finalise(config: dict, instance_path: str | None = None) -> None:
    """Check the settings once they are all known; refuse what production must not run with."""
    production = config.get("SHOP_ENV") == PRODUCTION
    if config.get("STAFF_TOTP_REQUIRED") is None:
        config["STAFF_TOTP_REQUIRED"] = production
    if production:
        _check_production(config)
        if not config.get("STORE_POSTAL_ADDRESS"):
            log.warning("STORE_POSTAL_ADDRESS is unset: marketing emails must carry the store's postal address")
        config.setdefault("SESSION_COOKIE_SECURE", True)
        config.setdefault("REMEMBER_COOKIE_SECURE", True)
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = development_secret_key(instance_path)
    _check_retention(config)
    from shop.media.storage import check_settings as check_media_settings

    check_media_settings(config)
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(config["SQLALCHEMY_DATABASE_URI"]))
    if not config.get("RATELIMIT_STORAGE_URI"):
        # Counters every web process sees, the embedded SQLite default included (limits_storage).
        config["RATELIMIT_STORAGE_URI"] = "database+" + config["SQLALCHEMY_DATABASE_URI"]


# Stripe sends an event again (automatically, or from its dashboard) for up to 30 days.
STRIPE_REDELIVERY_DAYS = 30


def _check_retention(config: dict) -> None:
    """Refuse a retention that would undo a guarantee: a webhook Stripe sends again must still find
    its event row (or it would act twice), and a link in a follow-up email must still find its row."""
    events_days = config.get("STRIPE_EVENT_RETENTION_DAYS") or 0
    if 0 < events_days <= STRIPE_REDELIVERY_DAYS:
        raise ConfigError(f"STRIPE_EVENT_RETENTION_DAYS must be more than {STRIPE_REDELIVERY_DAYS} (or 0): "
                          "Stripe may send an event again for 30 days, and a forgotten event would act twice.")
    followup_days = config.get("FOLLOWUP_RETENTION_DAYS") or 0
    link_days = config.get("FOLLOWUP_LINK_MAX_AGE_DAYS") or 0
    if 0 < followup_days < link_days:
        raise ConfigError(f"FOLLOWUP_RETENTION_DAYS must be at least FOLLOWUP_LINK_MAX_AGE_DAYS ({link_days}) "
                          "or 0: the links in follow-up emails must find their follow-up.")
    if (config.get("RETENTION_BATCH_SIZE") or 0) < 1:
        raise ConfigError("RETENTION_BATCH_SIZE must be at least 1.")


def _check_production(config: dict) -> None:
    for setting in SETTINGS:
        if not setting.required_in_production:
            continue
        value = config.get(setting.config_key)
        if not value:
            raise ConfigError(f"{setting.name} must be set in production (SHOP_ENV=production).")
        if str(value).strip().lower() in PUBLISHED_DEVELOPMENT_VALUES:
            raise ConfigError(f"{setting.name} is a published development value; production needs its own secret.")
    uses_sqlite = config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if uses_sqlite and not config.get("ALLOW_SQLITE_IN_PRODUCTION"):
        raise ConfigError(
            "DATABASE_URL points at SQLite in production; use PostgreSQL, "
            "or set ALLOW_SQLITE_IN_PRODUCTION=true to accept a single-machine store."
        )


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
    # A restarted PostgreSQL costs one reconnect, not a 500: the pool replaces a connection the
    # server closed as it checks it out (`shop.db`, without a `SELECT 1` round trip per request).
    return {"pool_size": 10, "max_overflow": 10}


_BY_NAME = {setting.name: setting for setting in SETTINGS}
