"""The catalogue, cached per process and invalidated exactly when it changes.

Reading a product page means a product, its ingredients and its plan; a catalogue page means a
count and a page of rows. Each web process keeps what it read (plain data, never rendered HTML
with forms) for CATALOGUE_CACHE_SECONDS, tagged with the *catalogue version* it was read at.

The version is a token in a one-row table (`CatalogueVersion`). Any transaction that changes a
product, ingredient, titration step or a row of any model class with `__affects_catalogue__ =
True` (reviews set it) writes a new token just before it commits, so the token and the change
become visible together, to every process, or not at all. A process re-reads the token (one
primary-key lookup) at most every CATALOGUE_VERSION_CHECK_MS milliseconds (default 500) and
drops its entries when it moved; a process that commits a change drops its own entries at once.
So the process that changed the catalogue shows the change on its next request, the others
within that interval, and a warm request costs no query at all.

Changes are noticed through the session: `after_flush` looks at new, changed and deleted
instances, `do_orm_execute` at bulk `insert/update/delete` statements. Anything else (raw SQL)
calls `invalidate_catalogue()`, as does the checkout's stock reservation (a bulk
`UPDATE products ... WHERE stock >= :q`, marked `catalogue_unchanged`) when, and only when, the
storefront shows the difference: in stock or not, and the buy box's largest quantity.
"""
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from shop.catalog.models import CatalogueVersion
from shop.db import dialect_insert, dialect_of
from shop.extensions import db

CHANGED = "catalogue_changed"  # session.info flag: this transaction changes the catalogue
MAX_ENTRIES = 4096  # searches are keys too; a bound keeps hostile queries from growing memory


class CatalogueCache:
    """Entries of one app in one process: key → (version, expires_at, value), oldest evicted.

    `version` is the catalogue version last read from the database, at `checked_at`.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: OrderedDict[Any, tuple[int, float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.version = 0
        self.checked_at = float("-inf")

    def get(self, key, version: int):
        entry = self._entries.get(key)
        if entry is None or entry[0] != version or entry[1] < time.monotonic():
            return _MISSING
        return entry[2]

    def put(self, key, version: int, ttl: float, value) -> None:
        with self._lock:
            self._entries[key] = (version, time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry and re-read the version before the next use."""
        with self._lock:
            self._entries.clear()
            self.checked_at = float("-inf")


_MISSING = object()


def _store() -> CatalogueCache:
    """The app's entries (one store per app object, so each test's app starts empty)."""
    store = current_app.extensions.get("catalogue_cache")
    if store is None:
        store = current_app.extensions.setdefault("catalogue_cache", CatalogueCache())
    return store


def cached(key, loader: Callable[[], Any]):
    """`loader()`'s value, from the cache when it was read at the current catalogue version.

    Values must be immutable plain data: they are shared by every request of the process.
    """
    ttl = current_app.config.get("CATALOGUE_CACHE_SECONDS", 0)
    # A request that has not opened a session yet has nothing pending (and a warm read of the
    # cache should not pay for building a session just to find that out).
    pending = db.session.registry.has() and _has_pending_change(db.session())
    if ttl <= 0 or pending:
        # This transaction changed the catalogue and has not committed: what it reads is not
        # what other requests may see (yet, or ever, if it rolls back), so it is not stored.
        return loader()
    version = current_version()
    store = _store()
    value = store.get(key, version)
    if value is _MISSING:
        value = loader()
        store.put(key, version, ttl, value)
    return value


def current_version() -> int:
    """The committed catalogue version, as this process last read it (0 before any change)."""
    store = _store()
    interval = current_app.config.get("CATALOGUE_VERSION_CHECK_MS", 500) / 1000
    now = time.monotonic()
    if now - store.checked_at >= interval:
        store.version = db.session.scalar(
            select(CatalogueVersion.version).where(CatalogueVersion.id == 1)) or 0
        store.checked_at = now
    return store.version


def invalidate_catalogue(session: Session | None = None) -> None:
    """Mark the current transaction as changing the catalogue: its commit writes a new version.

    For code that changes what the catalogue shows without going through the ORM's flush or a
    bulk statement on a catalogue model (raw SQL, an import). The process's own entries go now.
    """
    (session or db.session()).info[CHANGED] = True
    if has_app_context():
        _store().clear()


def _affects(cls) -> bool:
    return bool(getattr(cls, "__affects_catalogue__", False))


def _has_pending_change(session: Session) -> bool:
    if session.info.get(CHANGED):
        return True
    return any(_affects(type(obj)) for obj in (*session.new, *session.deleted)) or any(
        _affects(type(obj)) and session.is_modified(obj, include_collections=False) for obj in session.dirty
    )


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, flush_context) -> None:
    if session.info.get(CHANGED):
        return
    # The class test first: asking the session whether an instance changed costs far more, and a
    # dispatcher's flush holds hundreds of instances of classes that never touch the catalogue.
    if any(_affects(type(obj)) for obj in (*session.new, *session.deleted)) or any(
            _affects(type(obj)) and session.is_modified(obj) for obj in session.dirty):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if state.execution_options.get("catalogue_unchanged"):
        return  # the caller knows better and says so itself (orders.stock: unseen stock moves)
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in _catalogue_tables():
        state.session.info[CHANGED] = True


_tables_cache: set[str] = set()


def _catalogue_tables() -> set[str]:
    """Names of the tables of every mapped class that says it affects the catalogue."""
    if not _tables_cache:
        from shop.db import Base

        for mapper in Base.registry.mappers:
            if _affects(mapper.class_):
                _tables_cache.update(t.name for t in mapper.tables)
    return _tables_cache


@event.listens_for(Session, "before_commit")
def _write_new_version(session: Session) -> None:
    """Bump the version as the last write of the transaction, so its row lock is held briefly."""
    session.flush()
    if not session.info.pop(CHANGED, False):
        return
    token = secrets.randbits(62) + 1
    insert = dialect_insert(dialect_of(session))
    statement = insert(CatalogueVersion).values(id=1, version=token).on_conflict_do_update(
        index_elements=[CatalogueVersion.id], set_={"version": token}
    )
    session.execute(statement)
    session.info["catalogue_bumped"] = True


@event.listens_for(Session, "after_commit")
def _forget_own_changes(session: Session) -> None:
    if session.info.pop("catalogue_bumped", False) and has_app_context():
        _store().clear()


@event.listens_for(Session, "after_soft_rollback")
def _forget_change(session: Session, previous_transaction) -> None:
    session.info.pop(CHANGED, None)
    session.info.pop("catalogue_bumped", None)
