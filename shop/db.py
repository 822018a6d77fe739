"""The declarative base, the session helpers every domain shares, and after-commit hooks."""
import select as _select
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.pool import Pool
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints, so Alembic can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The database went away (restarting, failing over, unreachable, a connection cut) or refused
# for now (a lock timeout, a deadlock victim): what was asked changed nothing and may be tried again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Aware UTC now; a callable, so column defaults are evaluated per row."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC, so say so."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction commits; forget it on rollback.

    This is how emails and Celery tasks leave the process: a rolled-back order emails nobody.
    """
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    session.info.pop("after_commit", None)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# A pooled PostgreSQL connection idle for longer than this is pinged before use (see below).
IDLE_PING_SECONDS = 10.0


@event.listens_for(Pool, "checkout")
def _check_postgres_connection(dbapi_connection, connection_record, connection_proxy) -> None:
    """A pre-ping that costs a round trip only when the connection may be gone.

    A PostgreSQL that restarts, crashes or terminates a backend closes the connection's socket
    (after a FATAL message), so an idle pooled connection that has become unusable is one
    whose socket has something to read. Such a connection, a broken one, and one idle for
    longer than IDLE_PING_SECONDS (a firewall may drop those silently) are pinged with
    `SELECT 1`; a failed ping raises DisconnectionError and the pool opens a fresh connection,
    as `pool_pre_ping` would. A healthy busy connection is used without the round trip.
    """
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    idle_since = connection_record.info.get("checked_in_at")
    suspect = (getattr(dbapi_connection, "broken", False) or dbapi_connection.closed
               or idle_since is None or time.monotonic() - idle_since > IDLE_PING_SECONDS)
    if not suspect:
        try:
            poller = _select.poll()
            poller.register(dbapi_connection.pgconn.socket, _select.POLLIN | _select.POLLERR | _select.POLLHUP)
            suspect = bool(poller.poll(0))
        except Exception:  # noqa: BLE001  no socket: certainly not usable as it is
            suspect = True
    if not suspect:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:  # noqa: BLE001  any failure means: reconnect
        raise DisconnectionError("PostgreSQL connection lost; reconnecting") from exc


@event.listens_for(Pool, "checkin")
def _remember_checkin(dbapi_connection, connection_record) -> None:
    connection_record.info["checked_in_at"] = time.monotonic()


def is_postgres(session: Session) -> bool:
    return dialect_of(session) == "postgresql"


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def dialect_insert(dialect: str):
    """The `insert` of this dialect, the one with ON CONFLICT (PostgreSQL's or SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_or_skip(dialect: str, entity, conflict_on: str):
    """An INSERT into `entity` that skips a row whose `conflict_on` value is already taken
    (ON CONFLICT DO NOTHING, on PostgreSQL and on SQLite alike)."""
    return dialect_insert(dialect)(entity).on_conflict_do_nothing(index_elements=[conflict_on])
