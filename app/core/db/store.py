"""Opening a dataset: engine, connection settings, migrations, sessions.

One dataset is one SQLite file by default; a SQLAlchemy URL (e.g.
``postgresql+psycopg://...``) points the same code at a server. Everything that
differs between the two lives in ``search_backend`` and ``sqlite_file``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from app import __version__
from app.core.db import dataset_lock, migrations, sqlite_file
from app.core.db.reader import ConnectionReader, Reader
from app.core.db.search_backend import SearchBackend, backend_for

# The settings of SQLite's connections, and what their errors mean, live beside the store so that
# an up-to-date dataset file can be read without SQLAlchemy (file_reader); they are the store's all the same.
from app.core.db.sqlite_file import (  # noqa: F401 - the store's names for them, used elsewhere
    BUSY_TIMEOUT_MS,
    SQLITE_MAGIC,
    backup_hint,
    check_integrity,
    configure_read_only_sqlite,
    configure_sqlite,
    describe_db_error,
    error_kind,
    existing_but_read_only,
    is_busy,
    is_damage,
    latest_backup,
    read_only_message,
    read_only_uri,
    sqlite_datetime,
)
from app.core.paths import resolve_dataset
from app.core.team import credentials

log = logging.getLogger(__name__)

# What a write to the dataset can fail with, for callers outside the core (the GUI)
# that must report a failed save without knowing the database library.
STORE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)
# Errors of the database itself (not of other files), for messages that blame the dataset.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error)


class StoreError(Exception):
    """A dataset could not be opened or used; ``str()`` is a sentence for the user."""


class Store:
    """An open dataset. Thread-safe to share; each thread takes its own sessions."""

    database_errors = DATABASE_ERRORS

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location
        self.search: SearchBackend = backend_for(engine.dialect.name)
        self.backup_path: Path | None = None
        self.lock: dataset_lock.DatasetLock | None = None  # held by the desktop app's window
        # A dataset file on read-only media (or write-protected) is opened for reading:
        # the app and the command line read, search and export it, and refuse edits.
        self.read_only = False

    @property
    def writer(self) -> str:
        """The name this store's connections give a database server (empty for a dataset file)."""
        return str(getattr(self.engine, "curator_writer", ""))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def path(self) -> Path | None:
        """The dataset file, for SQLite datasets."""
        if not self.is_sqlite:
            return None
        url = self.engine.url
        database = url.database
        if not database or database == ":memory:":
            return None
        if database.startswith("file:") and url.query.get("uri") == "true":
            # sqlite:///file:/path/x.sqlite?mode=ro&uri=true (SQLite's URI form)
            return Path(unquote(urlsplit(database).path))
        return Path(database)

    @property
    def where(self) -> str:
        """The dataset as a person names it in a message: its file, or its URL."""
        return str(self.path) if self.path is not None else credentials.shown(self.location)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """Plain-SQL reads (``app.core.db.reader``) inside one transaction."""
        with self.begin() as conn:
            yield ConnectionReader(conn)

    @contextmanager
    def snapshot(self) -> Iterator[Reader]:
        """Reads that see one consistent state of the dataset until the block ends (an export's)."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                # pysqlite runs SELECTs outside any transaction; an explicit BEGIN pins one
                # WAL snapshot (writers carry on meanwhile), so batches agree with each other.
                conn.exec_driver_sql("BEGIN")
                snapshot = conn
            else:
                snapshot = conn.execution_options(isolation_level="REPEATABLE READ")
            yield ConnectionReader(snapshot)
            snapshot.rollback()  # read-only: end the snapshot (on an error, closing the connection does)

    def revision(self) -> str | None:
        """The schema revision stored in the dataset."""
        return migrations.current_revision(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_store_engine(url: str | URL, read_only: bool = False, *, busy_timeout_ms: int | None = None) -> Engine:
    """An engine for the dataset at ``url``; SQLite connections wait ``busy_timeout_ms``
    (default ``BUSY_TIMEOUT_MS``) for another writer's lock before failing."""
    wait_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
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
            connect_args={"check_same_thread": False, "timeout": wait_ms / 1000},
        )
        configure = configure_read_only_sqlite if read_only else configure_sqlite
        event.listen(engine, "connect", lambda dbapi_conn, _record: configure(dbapi_conn, wait_ms))
        return engine
    # Each engine names its connections, so that the change notices of its own writes are told apart
    # from everyone else's (app/core/db/live.py).
    writer = f"article-curator {os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args={"application_name": writer})
        engine.curator_writer = writer  # type: ignore[attr-defined]
        credentials.attach(engine)  # the password: from the keyring, or asked once
        return engine
    except (ImportError, NoSuchModuleError) as exc:
        raise StoreError(
            f"This installation of Article Curator cannot open {parsed.get_backend_name()} databases "
            f"({parsed.render_as_string(hide_password=True)}): its driver is not installed. Install the app "
            "with PostgreSQL support (pip install \"article-curator[postgres]\"), or open a dataset file."
        ) from exc


def open_store(location: str | os.PathLike[str] | None = None, *, upgrade: bool = True,
               exclusive: bool = False) -> Store:
    """Open (creating if needed) the dataset at ``location`` and bring its schema up to date.

    ``exclusive`` (the desktop app) also takes the dataset's lock, so that a second
    window is refused with a message saying where it is open; ``Store.close()``
    gives it up. A file that is not a dataset is refused before anything is
    written to it. Every ``StoreError`` names the file and says what to do.
    """
    url = resolve_dataset(location)
    engine = create_store_engine(url)
    store = Store(engine, url)
    path = store.path
    try:
        if path is not None:
            if path.exists() and path.is_dir():
                raise StoreError(f"{path} is a folder, not a dataset file.")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create the folder for the dataset {path}: {exc.strerror}.") from exc
            if exclusive:
                store.lock = _lock(path)
            _refuse_foreign_file(path)
            if existing_but_read_only(path):
                _reopen_read_only(store, path)
        _bring_up_to_date(store, upgrade)
    except BaseException:
        store.close()
        raise
    return store


def _lock(path: Path) -> dataset_lock.DatasetLock | None:
    try:
        return dataset_lock.acquire(path)
    except dataset_lock.DatasetInUse as exc:
        raise StoreError(str(exc)) from exc
    except OSError as exc:
        # No lock file (a read-only folder, a file system without locks): opening the
        # dataset says what is wrong if it cannot be used; otherwise go on unlocked.
        log.warning("Could not lock %s (%s); opening it without a lock.", path, exc)
        return None


def _reopen_read_only(store: Store, path: Path) -> None:
    store.engine.dispose()
    url = URL.create("sqlite", database=read_only_uri(path), query={"uri": "true"})
    store.engine = create_store_engine(url, read_only=True)
    store.read_only = True


def _bring_up_to_date(store: Store, upgrade: bool) -> None:
    engine, path = store.engine, store.path
    try:
        current = _checked_revision(store)
        if current == migrations.head_revision():
            return  # the usual case: no lock file, so a read-only folder is no obstacle
        if store.read_only:
            raise StoreError(f"{path} is read-only, and its format needs an upgrade that cannot be written "
                             "there. Copy it to a folder you can write to (your Documents folder, say) and "
                             "open the copy.")
        if not upgrade:
            raise StoreError(f"The dataset {store.where} needs an upgrade of its format.")
        # Another process may be creating or upgrading the same dataset right now: one
        # does it while the others wait, then find it done. (PostgreSQL serialises this
        # inside the database, see migrations.upgrade.)
        with _migration_lock(path):
            current = _checked_revision(store)
            if current == migrations.head_revision():
                return
            if path is not None and current is not None:
                store.backup_path = migrations.backup_sqlite(path, current)
            migrations.upgrade(engine)
    except DatabaseError as exc:
        raise _open_error(path, store.where, exc) from exc
    except sqlite3.Error as exc:  # the backup copy uses sqlite3 directly
        raise _open_error(path, store.where, exc) from exc


def _checked_revision(store: Store) -> str | None:
    current = migrations.current_revision(store.engine)
    if current is not None and not _known_revision(current):
        raise StoreError(_unknown_format_message(store.where, current))
    return current


@contextmanager
def _migration_lock(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    try:
        lock = dataset_lock.migration_lock(path)
    except OSError as exc:
        # No lock file beside it (a read-only folder): creating or upgrading the dataset
        # fails there anyway, with the message that says why.
        log.warning("Could not lock %s for its upgrade (%s); going on without the lock.", path, exc)
        yield
        return
    try:
        yield
    finally:
        lock.release()


# --- files that are not datasets, damaged or read-only ------------------------------------------



def _refuse_foreign_file(path: Path) -> None:
    """Refuse, before anything writes to it, a file that is not an Article Curator dataset.

    A new or empty (0-byte) file becomes a new dataset. A SQLite database with
    tables but none of ours (another program's) is refused and left unchanged:
    even switching it to WAL would rewrite its header.
    """
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"Cannot read {path}: {exc.strerror or exc}. Check that you may read it and "
                         "that its drive is connected.") from exc
    if not header:
        return
    if not header.startswith(SQLITE_MAGIC):
        raise StoreError(f"{path} is not an Article Curator dataset: it is not a database file. "
                         "Open a dataset file instead; to add the articles a file holds, import it.")
    # Bytes 18-19 are 1 for a rollback journal, 2 for WAL. A rollback-journal file is
    # read through a read-only connection, which cannot change it; a WAL file is read
    # through an ordinary one, which tidies its -wal and -shm files on close instead
    # of leaving them behind as a read-only one would.
    rollback = len(header) >= 20 and header[18] == 1 and header[19] == 1
    read_only = rollback or existing_but_read_only(path)
    target = read_only_uri(path) if read_only else str(path)
    try:
        conn = sqlite3.connect(target, uri=read_only, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
            revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")] \
                if "alembic_version" in tables else []
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _open_error(path, str(path), exc) from exc
    if not tables:
        return  # a database with nothing in it yet: it becomes a new dataset
    if "alembic_version" not in tables:
        raise StoreError(f"{path} is a database, but not an Article Curator dataset (it has none of its tables); "
                         "it was left unchanged. Open an Article Curator dataset, or create a new one.")
    for revision in revisions:
        if not _known_revision(revision):
            raise StoreError(_unknown_format_message(path, revision))


def _known_revision(revision: str) -> bool:
    return revision in migrations.known_revisions()


def _unknown_format_message(where: object, revision: str) -> str:
    return (f"{where} was made by a newer version of Article Curator, or by another program: its format "
            f"({revision}) is unknown to version {__version__}. Update Article Curator to open it.")


def _open_error(path: Path | None, location: str, exc: BaseException) -> StoreError:
    """The StoreError for a database error met while opening a dataset: what happened, what to do."""
    kind, reason = error_kind(exc)
    where = path or location
    if kind == "busy":
        return StoreError(f"The dataset {where} is busy: another program is writing to it. "
                          "Try again when it is done.")
    readonly = kind == "readonly"
    if path is not None and kind in ("readonly", "cannot_open", "io"):
        if path.exists() and not os.access(path, os.R_OK):
            return StoreError(f"Cannot open {path}: you do not have permission to read it. "
                              "Ask its owner for access, or open a copy of it.")
        if readonly or not sqlite_file.writable(path):
            new_file = not path.exists() or path.stat().st_size == 0
            if new_file and not os.access(path.parent, os.W_OK | os.X_OK):
                return StoreError(f"Cannot create the dataset {path}: its folder {path.parent} is read-only. "
                                  "Choose a folder you can write to.")
            return StoreError(f"{path} is read-only (a write-protected file, or a read-only folder or disk), "
                              "and Article Curator saves every edit into the dataset as it is made. Copy it to "
                              "a folder you can write to (your Documents folder, say) and open the copy.")
        return StoreError(f"Cannot open {path}: {reason}. Check that its drive is connected, then try again.")
    if kind == "damaged":
        return StoreError(_damaged_message(where, reason))
    if kind == "not_database":
        return StoreError(f"{where} is not an Article Curator dataset, or it is damaged. "
                          "Open another dataset file, or a backup copy of this one.")
    return StoreError(f"{where} could not be opened as a dataset: {reason.rstrip('.')}.")


def _damaged_message(where: object, reason: str) -> str:
    return (f"{where} is damaged ({reason.rstrip('.')}), so Article Curator cannot use it safely. "
            f"Open a backup copy of it instead{backup_hint(where)}.")
