"""Rate-limit counters in the store's own database, for deployments without Redis.

Flask-Limiter keeps its counters in a `limits` storage chosen by URI. Its default, `memory://`,
counts per process: two gunicorn workers would each allow the whole limit. This storage keeps
them in the `rate_limit_counters` table, which every web process of the deployment shares (a
SQLite file as well as PostgreSQL). It registers the URI schemes `database+sqlite`,
`database+postgresql` and `database+postgresql+psycopg`: the SQLAlchemy URL prefixed with
`database+` (see `config.finalise`, which picks it when no Redis is configured).

Each hit is one atomic statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) in a
transaction of its own, outside the request's: a counter counts even when the request's work
is rolled back. It supports the fixed-window strategy, Flask-Limiter's default.
"""
import itertools
import threading
import time

from limits.storage import Storage
from sqlalchemy import Column, Float, Integer, String, Table, case, create_engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from shop.db import Base

SCHEME_PREFIX = "database+"
PURGE_EVERY = 500  # hits per process between deletions of expired counters

counters = Table(
    "rate_limit_counters",
    Base.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),  # seconds since the epoch
)


class DatabaseStorage(Storage):
    """A `limits` storage over one table of a SQLAlchemy database (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = ["database+sqlite", "database+postgresql", "database+postgresql+psycopg"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **_options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        url = uri[len(SCHEME_PREFIX):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        self._sqlite = url.startswith("sqlite")
        options = {"connect_args": {"timeout": 30}} if self._sqlite else {"pool_size": 2, "pool_pre_ping": True}
        self._engine = create_engine(url, **options)
        self._insert = sqlite.insert if self._sqlite else postgresql.insert
        self._hits = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        fresh = self._insert(counters).values(key=key, count=amount, expires_at=now + expiry)
        expired = counters.c.expires_at <= now
        statement = fresh.on_conflict_do_update(
            index_elements=[counters.c.key],
            set_={
                "count": case((expired, fresh.excluded.count), else_=counters.c.count + fresh.excluded.count),
                "expires_at": case((expired, fresh.excluded.expires_at), else_=counters.c.expires_at),
            },
        ).returning(counters.c.count)
        with self._engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            with self._lock:
                purge = next(self._hits) % PURGE_EVERY == 0
            if purge:
                connection.execute(delete(counters).where(counters.c.expires_at <= now))
        return count

    def get(self, key: str) -> int:
        with self._engine.connect() as connection:
            count = connection.scalar(
                select(counters.c.count).where(counters.c.key == key, counters.c.expires_at > time.time()))
        return count or 0

    def get_expiry(self, key: str) -> float:
        with self._engine.connect() as connection:
            expires_at = connection.scalar(select(counters.c.expires_at).where(counters.c.key == key))
        return expires_at if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.scalar(select(func.count()).select_from(counters))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine.begin() as connection:
            return connection.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(counters).where(counters.c.key == key))

