"""Opening a dataset: engine, connection settings, migrations, sessions.

One dataset is one SQLite file by default; a SQLAlchemy URL (e.g.
``postgresql+psycopg://...``) points the same code at a server. Everything that
differs between the two lives in ``search_backend`` and ``_configure_sqlite``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from app import __version__
from app.core.cancel import CancelToken
from app.core.db import dataset_lock, migrations
from app.core.db.search_backend import SearchBackend, backend_for
from app.core.paths import resolve_dataset
from app.core.team import credentials

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def _adapt_datetime(value: datetime) -> str:
    """A datetime bound in plain SQL, stored exactly as SQLAlchemy's DateTime stores it.

    sqlite3's default adapter drops ".000000" at whole seconds, so a timestamp
    written or compared in plain SQL could differ in text from the same instant
    written through the ORM; keyset paging on ``updated_at`` compares that text.
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


sqlite3.register_adapter(datetime, _adapt_datetime)


def sqlite_datetime(value: datetime) -> str:
    """The text a datetime is stored as in a SQLite dataset (for rows handed to sqlite3 as they are)."""
    return _adapt_datetime(value)


# What a write to the dataset can fail with, for callers outside the core (the GUI)
# that must report a failed save without knowing the database library.
STORE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)
# Errors of the database itself (not of other files), for messages that blame the dataset.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error)


def _error_kind(exc: BaseException) -> tuple[str, str]:
    """What kind of database failure ``exc`` is, from SQLite's message, and that message's first line.

    One reading of SQLite's messages for both the clause an edit reports
    (``describe_db_error``) and the sentence a failed open gives (``_open_error``).
    """
    message = str(getattr(exc, "orig", exc)).split("\n")[0]
    lowered = message.lower()
    kinds = (("busy", ("locked", "busy")), ("full", ("disk is full", "no space")),
             ("readonly", ("readonly", "read-only")), ("cannot_open", ("unable to open",)),
             ("io", ("i/o error",)), ("damaged", ("malformed", "corrupt")),
             ("not_database", ("not a database", "encrypted")))
    for kind, needles in kinds:
        if any(needle in lowered for needle in needles):
            return kind, message
    return "other", message


_ERROR_CLAUSES = {
    "busy": "the dataset is locked by another program",
    "full": "the disk is full",
    "readonly": "the dataset is read-only (a write-protected file, or a read-only folder or disk)",
    "cannot_open": ("the dataset file cannot be opened (its folder may be read-only, or on a drive "
                    "that is no longer connected)"),
    "io": "the disk could not be read or written (a failing or disconnected drive)",
    "damaged": "the dataset file is damaged",
    "not_database": "the dataset file is damaged",
}


def describe_db_error(exc: BaseException) -> str:
    """Why a database operation failed, as a clause a user understands (no trailing period)."""
    kind, message = _error_kind(exc)
    return _ERROR_CLAUSES.get(kind) or message.rstrip(".")


def is_damage(exc: BaseException) -> bool:
    """Whether a database error says the dataset file itself is damaged (not busy, full or read-only)."""
    return _error_kind(exc)[0] in ("damaged", "not_database")


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection holds the dataset's lock (worth trying again)."""
    return _error_kind(exc)[0] == "busy"


class StoreError(Exception):
    """A dataset could not be opened or used; ``str()`` is a sentence for the user."""


def _configure_sqlite(dbapi_conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the GUI read while an import writes; FULL makes every committed
    # annotation survive a power loss (it costs well under a millisecond).
    _switch_to_wal(cur, busy_timeout_ms)
    cur.execute("PRAGMA synchronous=FULL")
    # SQLite leaves foreign keys off unless asked, on every connection.
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.close()


def _switch_to_wal(cur: sqlite3.Cursor, busy_timeout_ms: int) -> None:
    """Put the dataset in WAL mode, waiting up to ``busy_timeout_ms`` for another process.

    Switching a new file to WAL needs its exclusive lock, and SQLite answers "database
    is locked" at once, without its busy handler, when another process creating the
    same file holds a lock on it; so wait here as the busy handler would.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _configure_read_only_sqlite(dbapi_conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    cur = dbapi_conn.cursor()
    # Nothing to set up for writing; query_only makes any write fail at once, in words
    # SQLite shares with a read-only disk ("attempt to write a readonly database").
    cur.execute("PRAGMA query_only=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.close()


def read_only_message(where: object) -> str:
    """The one sentence that says a dataset was opened read-only, and what to do to edit it."""
    return f"The dataset {where} is read-only: copy it to a writable folder to edit it."


class Store:
    """An open dataset. Thread-safe to share; each thread takes its own sessions."""

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
        configure = _configure_read_only_sqlite if read_only else _configure_sqlite
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
            if _existing_but_read_only(path):
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


def _existing_but_read_only(path: Path) -> bool:
    """A dataset file with content that this process may read but not change (or not beside)."""
    try:
        return path.stat().st_size > 0 and os.access(path, os.R_OK) and not _writable(path)
    except OSError:
        return False


def read_only_uri(path: Path) -> str:
    """SQLite's URI that reads ``path`` without writing anything, file or folder.

    ``mode=ro`` sees the latest commits, also those still in a -wal file, but a
    dataset in WAL mode needs its -shm file, which a read-only folder without one
    cannot get; there ``immutable=1`` reads the main file alone (nothing can
    change it on a read-only disk), without what a -wal left by a crash holds.
    """
    # as_uri() percent-encodes the path: a "#" or "?" in a folder name would otherwise
    # end the path early, open some other file and lose the read-only parameter.
    base = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{base}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            conn.close()
        return f"{base}?mode=ro"
    except sqlite3.Error:
        if path.with_name(path.name + "-wal").exists():
            log.warning("%s has a -wal file that a read-only folder keeps from being read; the dataset is "
                        "shown as it was at its last checkpoint.", path)
        return f"{base}?immutable=1"


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

SQLITE_MAGIC = b"SQLite format 3\x00"


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
    read_only = rollback or _existing_but_read_only(path)
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


def _writable(path: Path) -> bool:
    """Whether SQLite can write the dataset and create its -wal and -shm files beside it.

    ``os.access`` also answers False on a read-only file system for root.
    """
    folder_ok = os.access(path.parent, os.W_OK | os.X_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def _backups_of(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.before-*.bak"), key=lambda p: p.stat().st_mtime)


def latest_backup(path: Path | None) -> Path | None:
    """The copy made before the dataset's last format upgrade, when there is one."""
    backups = _backups_of(path) if path is not None else []
    return backups[-1] if backups else None


def _open_error(path: Path | None, location: str, exc: BaseException) -> StoreError:
    """The StoreError for a database error met while opening a dataset: what happened, what to do."""
    kind, reason = _error_kind(exc)
    where = path or location
    if kind == "busy":
        return StoreError(f"The dataset {where} is busy: another program is writing to it. "
                          "Try again when it is done.")
    readonly = kind == "readonly"
    if path is not None and kind in ("readonly", "cannot_open", "io"):
        if path.exists() and not os.access(path, os.R_OK):
            return StoreError(f"Cannot open {path}: you do not have permission to read it. "
                              "Ask its owner for access, or open a copy of it.")
        if readonly or not _writable(path):
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
            f"Open a backup copy of it instead{_backup_hint(where)}.")


def _backup_hint(where: object) -> str:
    backups = _backups_of(where) if isinstance(where, Path) else []
    if backups:
        return f", such as {backups[-1]} (made before its last format upgrade)"
    return ", if you have one"


def check_integrity(store: Store, cancel: CancelToken | None = None) -> str | None:
    """Read every page of a SQLite dataset (``PRAGMA quick_check``); a sentence when it is damaged.

    Damage in the middle of a file shows only when those pages are read, so
    opening a dataset does not find it; this does, in about a second per
    100,000 articles. Returns None when the dataset is sound, is not SQLite, or
    ``cancel`` stopped the check.
    """
    if not store.is_sqlite:
        return None
    where = store.where
    try:
        with store.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            if cancel is not None and raw is not None:
                raw.set_progress_handler(lambda: 1 if cancel.cancelled else 0, 10_000)
            try:
                rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(5)").all()]
            finally:
                if cancel is not None and raw is not None:
                    raw.set_progress_handler(None, 0)
    except DatabaseError as exc:
        if cancel is not None and cancel.cancelled:
            return None
        rows = [str(getattr(exc, "orig", exc))]
    if rows == ["ok"]:
        return None
    first = next((line.strip() for row in rows for line in row.splitlines()
                  if line.strip() and not line.startswith("***")), "unknown damage")
    return (f"{where} is damaged ({first.rstrip('.')}): some articles or spans may be missing or unreadable, "
            "and saving may fail. Export what you still need, then work on a backup copy of the dataset "
            f"instead{_backup_hint(where)}.")
