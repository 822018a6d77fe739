"""The declarative base, the session helpers every domain shares, and after-commit hooks."""
import select
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import Pool

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


@event.listens_for(Pool, "checkout")
def _replace_closed_connection(dbapi_connection, connection_record, connection_proxy) -> None:
    """A restarted or crashed PostgreSQL costs a reconnect, not a 500.

    A server that ends a connection (a restart, a crash, a terminated backend, an idle timeout)
    writes its farewell and closes the socket; an idle connection with anything to read, or a
    hang-up, is such a one. Raising DisconnectionError here is how SQLAlchemy's pool is told to
    drop it and check out a fresh one. One `poll` of the socket, without the round trip to the
    server that `pool_pre_ping` costs every request. (SQLite has no socket: nothing to check.)
    """
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return
    try:
        socket = fileno()  # psycopg raises when it already knows the connection is lost
    except Exception as lost:  # noqa: BLE001 - whatever the driver says, this connection is done
        raise DisconnectionError("this pooled connection is lost") from lost
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed this pooled connection")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


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
