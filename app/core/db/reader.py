"""Reading a dataset through plain SQL, over a SQLAlchemy connection or a bare sqlite3 one.

The reads that the command line's ``stats``, ``search`` and ``export`` make
(counts, search, the export's batches, its manifest) are written against
``Reader``: rows and single values of SQL with ``:name`` parameters, which
SQLAlchemy's ``text()`` and sqlite3 both accept, so each statement is written
once. ``ConnectionReader`` runs them on a connection of the store
(``Store.reader``, ``Store.snapshot``), for the desktop app, PostgreSQL and
every other caller; ``SqliteReader`` on a sqlite3 connection of its own, for an
up-to-date dataset file read without SQLAlchemy (``file_reader``).

A ``Dataset`` is what those reads need of an open dataset: where it is, whether
it is SQLite, its search backend, and readers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.core.db.in_lists import chunked, in_list

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from app.core.db.search_backend import SearchBackend

Params = Mapping[str, Any] | None


class Reader(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    @property
    def sqlite_connection(self) -> sqlite3.Connection | None:
        """The sqlite3 connection underneath (None on another database), for what only it offers."""

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Every row of ``sql``, as plain tuples."""

    def scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row of ``sql`` (None without rows)."""

    def rows_in(self, sql: str, values: Iterable[Any], params: Params = None) -> list[tuple[Any, ...]]:
        """Every row of ``sql`` for ``values``, bound a chunk at a time to its ``IN :values``."""


class Dataset(Protocol):
    """What the reads of stats, search and export need of an open dataset."""

    read_only: bool

    @property
    def where(self) -> str:
        """The dataset as a person names it in a message."""

    @property
    def path(self) -> Path | None:
        """The dataset file (None on a server)."""

    @property
    def is_sqlite(self) -> bool: ...

    @property
    def search(self) -> SearchBackend: ...

    @property
    def database_errors(self) -> tuple[type[BaseException], ...]:
        """What its reads fail with when the database does (not when another file does)."""

    def reader(self) -> AbstractContextManager[Reader]:
        """A reader for a few statements."""

    def snapshot(self) -> AbstractContextManager[Reader]:
        """A reader that sees one consistent state of the dataset until it is done."""

    def revision(self) -> str | None:
        """The dataset's schema revision."""


class SqliteReader:
    """Reads on a sqlite3 connection (configured by its owner)."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @property
    def sqlite_connection(self) -> sqlite3.Connection:
        return self.conn

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        try:
            return cursor.execute(sql, params or {}).fetchall()
        finally:
            cursor.close()

    def scalar(self, sql: str, params: Params = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def rows_in(self, sql: str, values: Iterable[Any], params: Params = None) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for chunk in chunked(values):
            bound = dict(params or {})
            found.extend(self.rows(sql.replace("IN :values", f"IN ({in_list(bound, 'in_value', chunk)})"), bound))
        return found


class ConnectionReader:
    """Reads on a SQLAlchemy connection of the store, in its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    @property
    def sqlite_connection(self) -> sqlite3.Connection | None:
        if self.dialect != "sqlite":
            return None
        return self.conn.connection.driver_connection

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        # Through SQLAlchemy, so that a failure is the SQLAlchemy error its callers expect.
        from sqlalchemy import text

        return [tuple(row) for row in self.conn.execute(text(sql), dict(params or {}))]

    def scalar(self, sql: str, params: Params = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def rows_in(self, sql: str, values: Iterable[Any], params: Params = None) -> list[tuple[Any, ...]]:
        from app.core.db.in_lists import select_in

        return [tuple(row) for row in select_in(self.conn, sql, values, params)]

