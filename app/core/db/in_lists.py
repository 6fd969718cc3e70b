"""``IN (...)`` lists of values in SQL, the one way the core writes them.

A list of any length (ids of a bulk edit, hashes of an import batch) goes through
``select_in`` or ``execute_in``: the statement's ``IN :values`` is bound to one
chunk of values at a time. A statement per value would cost more than the work it
does; one statement for all of them would pass SQLite's limit on bound variables
(999 before SQLite 3.32, and in builds that keep that default). Values are bound,
never pasted into the SQL, so ids, hashes and addresses are alike safe.

A short list inside a larger condition (the statuses of a filter) is ``in_list``:
named parameters, for statements that are composed as text or run on the sqlite3
cursor directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded when a statement is first made: reading a dataset file can do without it
    from sqlalchemy import Connection, TextClause

# Values per statement: under SQLite's 999, with room for the statement's other parameters.
CHUNK = 500


def chunked(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct values, sorted, ``CHUNK`` at a time; nothing for no values.

    Distinct, so that a value cannot be read (or counted) twice in two chunks.
    """
    distinct = sorted(set(values))
    for first in range(0, len(distinct), CHUNK):
        yield distinct[first : first + CHUNK]


@lru_cache(maxsize=64)
def _statement(sql: str) -> TextClause:
    from sqlalchemy import bindparam, text

    return text(sql).bindparams(bindparam("values", expanding=True))


def select_in(conn: Connection, sql: str, values: Iterable[Any],
              params: Mapping[str, Any] | None = None) -> list[Any]:
    """All rows of ``sql`` for ``values``, read a chunk at a time into its ``IN :values``.

    Typed ``list[Any]``: each row is a tuple of the statement's columns, which a plain
    ``text()`` query cannot tell the type checker.
    """
    statement = _statement(sql)
    rows: list[Any] = []
    for chunk in chunked(values):
        rows.extend(conn.execute(statement, {**(params or {}), "values": chunk}).all())
    return rows


def execute_in(conn: Connection, sql: str, values: Iterable[Any], params: Mapping[str, Any] | None = None) -> None:
    """Run ``sql`` (an UPDATE, DELETE or INSERT ... SELECT) for ``values``, a chunk at a time."""
    statement = _statement(sql)
    for chunk in chunked(values):
        conn.execute(statement, {**(params or {}), "values": chunk})


def in_list(params: dict[str, Any], prefix: str, values: Sequence[Any]) -> str:
    """Named placeholders for a short list (``:st0,:st1``), added to ``params``; ``NULL`` for none,
    which matches nothing."""
    params.update({f"{prefix}{i}": v for i, v in enumerate(values)})
    return ",".join(f":{prefix}{i}" for i in range(len(values))) or "NULL"
