"""Opening a dataset: engine, connection settings, migrations, sessions.

One dataset is one SQLite file by default; a SQLAlchemy URL (e.g.
``postgresql+psycopg://...``) points the same code at a server. Everything that
differs between the two lives in ``search_backend`` and ``_configure_sqlite``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from app.core import migrations
from app.core.paths import resolve_dataset
from app.core.search_backend import SearchBackend, backend_for

BUSY_TIMEOUT_MS = 5000


def _adapt_datetime(value: datetime) -> str:
    """A datetime bound in plain SQL, stored exactly as SQLAlchemy's DateTime stores it.

    sqlite3's default adapter drops ".000000" at whole seconds, so a timestamp
    written or compared in plain SQL could differ in text from the same instant
    written through the ORM; keyset paging on ``updated_at`` compares that text.
    """
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


sqlite3.register_adapter(datetime, _adapt_datetime)


# What a write to the dataset can fail with, for callers outside the core (the GUI)
# that must report a failed save without knowing the database library.
STORE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)


def describe_db_error(exc: BaseException) -> str:
    """Why a database operation failed, as a clause a user understands (no trailing period)."""
    message = str(getattr(exc, "orig", exc)).split("\n")[0]
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return "the dataset is locked by another program"
    if "disk is full" in lowered or "no space" in lowered:
        return "the disk is full"
    if "readonly" in lowered or "read-only" in lowered:
        return "the dataset is read-only"
    if "malformed" in lowered or "not a database" in lowered:
        return "the dataset file is damaged"
    return message.rstrip(".")


class StoreError(Exception):
    """A dataset could not be opened or used; ``str()`` is a sentence for the user."""


def _configure_sqlite(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    # WAL lets the GUI read while an import writes; FULL makes every committed
    # annotation survive a power loss (it costs well under a millisecond).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    # SQLite leaves foreign keys off unless asked, on every connection.
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


class Store:
    """An open dataset. Thread-safe to share; each thread takes its own sessions."""

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location
        self.search: SearchBackend = backend_for(engine.dialect.name)
        self.backup_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def path(self) -> Path | None:
        """The dataset file, for SQLite datasets."""
        if not self.is_sqlite:
            return None
        database = self.engine.url.database
        return Path(database) if database else None

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_store_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"Not a dataset path or database address: {url}") from exc
    if parsed.get_backend_name() == "sqlite":
        # Connections are pooled: opening one (file, pragmas, parsing the schema)
        # costs about a millisecond, a fifth of the budget of a library page.
        # A pooled connection is rolled back when returned, so an idle one holds
        # no read transaction and never stops a WAL checkpoint.
        engine = create_engine(
            parsed,
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=16,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def open_store(location: str | os.PathLike[str] | None = None, *, upgrade: bool = True) -> Store:
    """Open (creating if needed) the dataset at ``location`` and bring its schema up to date."""
    url = resolve_dataset(location)
    engine = create_store_engine(url)
    store = Store(engine, url)
    path = store.path
    if path is not None:
        if path.exists() and path.is_dir():
            raise StoreError(f"{path} is a folder, not a dataset file.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for the dataset {path}: {exc.strerror}.") from exc
    try:
        current = migrations.current_revision(engine)
        head = migrations.head_revision()
        if current != head:
            if not upgrade:
                raise StoreError(f"The dataset {store.location} needs an upgrade of its format.")
            if path is not None and current is not None:
                store.backup_path = migrations.backup_sqlite(path, current)
            migrations.upgrade(engine)
    except DatabaseError as exc:
        engine.dispose()
        where = path or store.location
        if isinstance(exc, OperationalError) and "locked" in str(exc):
            raise StoreError(f"The dataset {where} is busy: another program is writing to it.") from exc
        raise StoreError(f"{where} is not an Article Curator dataset, or it is damaged.") from exc
    return store
