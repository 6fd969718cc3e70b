"""A dataset file's own sqlite3 connections: their settings, read-only access, what their errors mean.

Apart from ``store`` (which uses all of it) so that the command line can read an
up-to-date dataset file through sqlite3 alone (``file_reader``), configured and
judged exactly as the store's connections are, without loading SQLAlchemy.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.cancel import CancelToken
    from app.core.db.reader import Dataset

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


def error_kind(exc: BaseException) -> tuple[str, str]:
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
    kind, message = error_kind(exc)
    return _ERROR_CLAUSES.get(kind) or message.rstrip(".")


def is_damage(exc: BaseException) -> bool:
    """Whether a database error says the dataset file itself is damaged (not busy, full or read-only)."""
    return error_kind(exc)[0] in ("damaged", "not_database")


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection holds the dataset's lock (worth trying again)."""
    return error_kind(exc)[0] == "busy"


def configure_sqlite(dbapi_conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
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


def configure_read_only_sqlite(dbapi_conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    cur = dbapi_conn.cursor()
    # Nothing to set up for writing; query_only makes any write fail at once, in words
    # SQLite shares with a read-only disk ("attempt to write a readonly database").
    cur.execute("PRAGMA query_only=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.close()


def read_only_message(where: object) -> str:
    """The one sentence that says a dataset was opened read-only, and what to do to edit it."""
    return f"The dataset {where} is read-only: copy it to a writable folder to edit it."


SQLITE_MAGIC = b"SQLite format 3\x00"


def existing_but_read_only(path: Path) -> bool:
    """A dataset file with content that this process may read but not change (or not beside)."""
    try:
        return path.stat().st_size > 0 and os.access(path, os.R_OK) and not writable(path)
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
            import logging

            logging.getLogger("app.core.db.store").warning(
                "%s has a -wal file that a read-only folder keeps from being read; the dataset is "
                "shown as it was at its last checkpoint.", path)
        return f"{base}?immutable=1"


def writable(path: Path) -> bool:
    """Whether SQLite can write the dataset and create its -wal and -shm files beside it.

    ``os.access`` also answers False on a read-only file system for root.
    """
    folder_ok = os.access(path.parent, os.W_OK | os.X_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def backups_of(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.before-*.bak"), key=lambda p: p.stat().st_mtime)


def latest_backup(path: Path | None) -> Path | None:
    """The copy made before the dataset's last format upgrade, when there is one."""
    backups = backups_of(path) if path is not None else []
    return backups[-1] if backups else None


def backup_hint(where: object) -> str:
    backups = backups_of(where) if isinstance(where, Path) else []
    if backups:
        return f", such as {backups[-1]} (made before its last format upgrade)"
    return ", if you have one"


def check_integrity(store: Dataset, cancel: CancelToken | None = None) -> str | None:
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
        with store.reader() as reader:
            raw = reader.sqlite_connection
            if cancel is not None and raw is not None:
                raw.set_progress_handler(lambda: 1 if cancel.cancelled else 0, 10_000)
            try:
                rows = [str(r[0]) for r in reader.rows("PRAGMA quick_check(5)")]
            finally:
                if cancel is not None and raw is not None:
                    raw.set_progress_handler(None, 0)
    except store.database_errors as exc:
        if cancel is not None and cancel.cancelled:
            return None
        rows = [str(getattr(exc, "orig", exc))]
    if rows == ["ok"]:
        return None
    first = next((line.strip() for row in rows for line in row.splitlines()
                  if line.strip() and not line.startswith("***")), "unknown damage")
    return (f"{where} is damaged ({first.rstrip('.')}): some articles or spans may be missing or unreadable, "
            "and saving may fail. Export what you still need, then work on a backup copy of the dataset "
            f"instead{backup_hint(where)}.")
