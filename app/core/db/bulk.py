"""Many rows into one table at a time, as cheaply as the driver allows.

On SQLite a batch goes in as multi-row ``INSERT ... VALUES (...), (...)``
statements of up to ``ROWS_PER_STATEMENT`` rows, not as an executemany of one
statement per row. Every row of the dataset's span table may fail a constraint
or a trigger's check, so SQLite keeps a statement journal of each statement's
pages: per row, a copy of the last page of the table and of each of its indexes.
Past 64 KiB in one transaction that journal moves to a temporary file, and from
then on every row wrote a dozen pages to it: storing a span cost three to four
times what it costs in a statement of many rows, which copies those pages once.
A failing row still fails its whole statement, and with it the caller's
transaction, as with executemany.

PostgreSQL's driver (psycopg) pipelines an executemany itself: rows go to it as
plain tuples.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert

# Rows per statement: past a hundred or so, more rows save nothing, and a batch's
# last, shorter statement is prepared anew for each length (SQLite caches prepared
# statements by their text).
ROWS_PER_STATEMENT = 256
# Bound variables per statement in SQLite builds that keep the old limit (before 3.32).
_OLD_VARIABLE_LIMIT = 999
# Placeholders of the drivers whose executemany takes plain tuples (sqlite3; psycopg).
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts, all with the same keys) into ``table``; see ``insert_tuples``."""
    if not rows:
        return
    if conn.dialect.paramstyle not in _PLACEHOLDERS:
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    get = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    insert_tuples(conn, table.name, columns, [get(row) for row in rows])


def insert_tuples(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples of values for ``columns``, in that order) into ``table``.

    SQLAlchemy's ``insert()`` processes every value of every row in Python on the
    way to the driver: for 20 spans an article that cost more than SQLite's own
    work of storing them. Values go to the driver as they are: strings, numbers,
    bytes, None and datetimes (stored by sqlite3 exactly as SQLAlchemy stores
    them, see ``sqlite_file._adapt_datetime``).
    """
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    if conn.dialect.name != "sqlite":
        mark = _PLACEHOLDERS[conn.dialect.paramstyle]
        conn.exec_driver_sql(head + f"({', '.join([mark] * len(columns))})", list(rows))
        return
    per_statement = max(1, min(ROWS_PER_STATEMENT, _variable_limit(conn) // len(columns)))
    for first in range(0, len(rows), per_statement):
        chunk = rows[first : first + per_statement]
        conn.exec_driver_sql(_values_sql(head, len(columns), len(chunk)), tuple(chain.from_iterable(chunk)))


@lru_cache(maxsize=256)
def _values_sql(head: str, columns: int, rows: int) -> str:
    one = f"({','.join('?' * columns)})"
    return head + ",".join([one] * rows)


def _variable_limit(conn: Connection) -> int:
    """How many values one statement may bind on this SQLite connection."""
    driver = conn.connection.driver_connection
    try:
        return int(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))  # type: ignore[union-attr]
    except (AttributeError, sqlite3.Error):
        return _OLD_VARIABLE_LIMIT
