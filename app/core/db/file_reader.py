"""An up-to-date dataset file opened for reading through sqlite3 alone, without SQLAlchemy.

The command line's ``stats``, ``search`` and ``export`` answer in a fraction of
the time it takes to import SQLAlchemy; on a dataset file at the current schema
revision they read it this way. Anything else (a server's URL, a missing file,
a file that is not a dataset in WAL mode, one that needs an upgrade, or that
cannot be opened) gets ``None`` from ``open_for_reading``: the caller then
opens it with ``store.open_store`` as before, which creates, upgrades, refuses
or explains.

The connection is made and configured as the store makes and configures its
own (``sqlite_file``): read-only through the same URI where the file or its
folder is not writable, the same busy timeout, WAL, and datetime adapter.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from app.core.db import sqlite_file
from app.core.db.migrations import HEAD_REVISION, VERSION_TABLE
from app.core.db.reader import Reader, SqliteReader
from app.core.db.search_backend import SqliteFts5Backend
from app.core.paths import dataset_file


class DatasetBusy(Exception):
    """Another program held the dataset file locked for longer than the busy timeout.

    Said as it is rather than left to the store, which would wait as long again."""

    def __init__(self, path: Path, error: sqlite3.Error) -> None:
        super().__init__(str(error))
        self.path, self.error = path, error


class FileDataset:
    """A dataset file read through one sqlite3 connection (a ``reader.Dataset``)."""

    is_sqlite = True
    database_errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool) -> None:
        self.path = path
        self.where = str(path)
        self.conn = conn
        self.read_only = read_only
        self.search = SqliteFts5Backend()

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        yield SqliteReader(self.conn)

    @contextmanager
    def snapshot(self) -> Iterator[Reader]:
        # An explicit BEGIN pins one WAL snapshot for the whole export, as the store's does;
        # ended however the block ends, so that later reads see the file as it is now.
        self.conn.execute("BEGIN")
        try:
            yield SqliteReader(self.conn)
        finally:
            if self.conn.in_transaction:
                self.conn.rollback()

    def revision(self) -> str:
        return HEAD_REVISION  # the only revision it is opened at

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_for_reading(location: str | os.PathLike[str] | None) -> FileDataset | None:
    """The dataset file ``location`` names (as ``--db`` does), when it can be read as it is; else None."""
    path = dataset_file(location)
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except OSError:
        return None
    # Bytes 18-19 are 2 in a file in WAL mode, which every dataset the store opened is; one that
    # is not is left to the store, which switches it.
    if not header.startswith(sqlite_file.SQLITE_MAGIC) or header[18:20] != b"\x02\x02":
        return None
    read_only = sqlite_file.existing_but_read_only(path)
    target = sqlite_file.read_only_uri(path) if read_only else str(path)
    try:
        conn = sqlite3.connect(target, uri=read_only, timeout=sqlite_file.BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        return None
    try:
        # The revision first, before the settings: another program's database is left untouched.
        revisions = [row[0] for row in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
        if revisions != [HEAD_REVISION]:
            conn.close()
            return None
        configure = sqlite_file.configure_read_only_sqlite if read_only else sqlite_file.configure_sqlite
        configure(conn, sqlite_file.BUSY_TIMEOUT_MS)
    except sqlite3.Error as exc:
        conn.close()
        if sqlite_file.is_busy(exc):
            raise DatasetBusy(path, exc) from exc
        return None
    return FileDataset(path, conn, read_only)
