"""Copying a whole dataset into another one: SQLite to PostgreSQL, and back.

Every table of the schema (``SQLModel.metadata``) is copied in the order its
references need, with its ids as they are, so every link between rows (a span's
article, label and entity, an alias's entity, an import record's article) holds
in the copy; a table added to ``app/models`` is copied without a change here.
Both datasets are first brought to the current format (``open_store``).

What a dataset derives from its rows is rebuilt rather than copied: the
full-text index (``search_backend``: SQLite's FTS tables are filled after the
copy, PostgreSQL computes its ``tsvector`` column on insert) and the export's
ready-made span lists (``span_json``: SQLite only, rebuilt after the copy; a
PostgreSQL dataset has no triggers that would keep copied lists current). The
id counters go on where the source's stopped (PostgreSQL sequences, SQLite's
AUTOINCREMENT counters), so an id deleted in the source is not given out again.

The source is read in one transaction (a consistent snapshot, in batches, so
memory stays flat) and the destination is written in one: a copy that fails or
is cancelled leaves the destination as empty as it was.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, LargeBinary, Table, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import app.models.tables  # noqa: F401 - registers every table in SQLModel.metadata
from app.core.cancel import CancelToken
from app.core.db import migrations, span_json
from app.core.db.store import Store, open_store
from app.core.paths import resolve_dataset

# Tables that only cache what other tables hold: rebuilt in the destination, never copied.
DERIVED = frozenset({span_json.TABLE})
BATCH = 1000
# Rows of tables holding downloaded pages (compressed bytes, up to megabytes each) per batch.
BINARY_BATCH = 100


class CopyRefused(Exception):
    """The copy cannot start (no source, a destination that holds data, ...); ``str()`` says why and what to do."""


@dataclass(frozen=True)
class CopyProgress:
    """Where a copy is: rows of ``table`` copied so far, and of all tables."""

    table: str
    table_done: int
    table_total: int
    done: int
    total: int


ProgressFn = Callable[[CopyProgress], None]


@dataclass
class CopyReport:
    source: str
    dest: str
    rows: dict[str, int] = field(default_factory=dict)  # rows copied per table
    seconds: float = 0.0

    @property
    def articles(self) -> int:
        return self.rows.get("article", 0)


def copy_dataset(src: str | os.PathLike[str], dest: str | os.PathLike[str], *,
                 progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> CopyReport:
    """Copy the dataset at ``src`` (a file or a database URL) into ``dest``, which must be new or empty.

    Raises ``CopyRefused`` before anything is written when it cannot be done,
    ``Cancelled`` when ``cancel`` stopped it (the destination left empty).
    """
    src_url, dest_url = resolve_dataset(src), resolve_dataset(dest)
    if _same_database(src_url, dest_url):
        raise CopyRefused(f"{shown(src_url)} and {shown(dest_url)} are the same dataset: give a new file or an "
                          "empty database as DEST.")
    src_path = _file_of(src_url)
    if src_path is not None and (not src_path.is_file() or src_path.stat().st_size == 0):
        raise CopyRefused(f"There is no dataset at {src_path}: give the dataset file to copy as SRC.")
    dest_path = _file_of(dest_url)
    new_file = dest_path is not None and not dest_path.exists()
    source = open_store(src_url)
    try:
        target = _open_dest(dest_url)
        try:
            report = copy_between(source, target, progress=progress, cancel=cancel)
        except BaseException:
            target.close()
            if new_file and dest_path is not None:
                _remove_dataset_file(dest_path)  # nothing was copied: leave no empty dataset behind
            raise
        target.close()
        return report
    finally:
        source.close()


def _open_dest(url: str) -> Store:
    # Exclusive: a desktop window must not open a SQLite destination while it is being filled.
    path = _file_of(url)
    return open_store(url, exclusive=path is not None)


def copy_between(source: Store, dest: Store, *, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> CopyReport:
    """Copy every row of ``source`` into ``dest`` (both open and current); see the module's text."""
    if dest.read_only:
        raise CopyRefused(f"{shown(dest.where)} is read-only: give a new dataset file in a folder you can write to.")
    started = time.perf_counter()
    report = CopyReport(shown(source.where), shown(dest.where))
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in DERIVED]
    with _snapshot(source) as src_conn, dest.begin() as dest_conn:
        _refuse_unless_empty(dest_conn, report.dest, tables)
        totals = {t.name: src_conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
        counter = _Counter(sum(totals.values()), progress)
        _clear_seeded_rows(dest_conn, tables)
        for table in tables:
            report.rows[table.name] = _copy_table(src_conn, dest_conn, table, totals[table.name], counter, cancel)
        _continue_counters(src_conn, dest_conn, tables)
        if dest.is_sqlite:
            dest.search.rebuild(dest_conn)
    _after_commit(dest, cancel)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """One read transaction over the whole copy, so it sees the source as of one moment."""
    with store.engine.connect() as conn:
        if not store.is_sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            if store.is_sqlite:
                # Python's sqlite3 opens a transaction only before a write: without this each
                # SELECT would see the dataset as of its own moment, and an article added
                # meanwhile could bring spans whose article was not copied.
                conn.exec_driver_sql("BEGIN")
            yield conn


class _Counter:
    def __init__(self, total: int, progress: ProgressFn | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def add(self, table: str, table_done: int, table_total: int, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(CopyProgress(table, table_done, table_total, self.done, self.total))


def _copy_table(src: Connection, dest: Connection, table: Table, total: int, counter: _Counter,
                cancel: CancelToken | None) -> int:
    order = list(table.primary_key.columns) or list(table.columns)
    batch = BINARY_BATCH if any(isinstance(c.type, LargeBinary) for c in table.columns) else BATCH
    write = _writer(dest, table)
    counter.add(table.name, 0, total, 0)
    copied = 0
    result = src.execute(select(table).order_by(*order), execution_options={"yield_per": batch})
    for rows in result.partitions():
        if cancel is not None:
            cancel.raise_if_cancelled()
        write(rows)
        copied += len(rows)
        counter.add(table.name, copied, total, len(rows))
    return copied


def _writer(conn: Connection, table: Table) -> Callable[[Sequence[Sequence[Any]]], None]:
    """A function writing rows of ``table`` (every column, in order) through the connection's own driver.

    Values go through the column types' conversions for the destination (SQLite
    stores timestamps as text), then straight to the driver: PostgreSQL's COPY
    takes rows several times faster than INSERTs, and SQLAlchemy's per-row work
    for an executemany would cost as much as SQLite's own.
    """
    dialect = conn.dialect
    columns = list(table.columns)
    converters = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    raw: Any = conn.connection.dbapi_connection

    def converted(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not any(converters):
            return [tuple(row) for row in rows]
        return [tuple(v if f is None else f(v) for f, v in zip(converters, row, strict=True)) for row in rows]

    if dialect.name == "postgresql":
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"

        def copy_rows(rows: Sequence[Sequence[Any]]) -> None:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in converted(rows):
                    copy.write_row(row)

        return copy_rows
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})"

    def insert_rows(rows: Sequence[Sequence[Any]]) -> None:
        raw.cursor().executemany(statement, converted(rows))

    return insert_rows


# --- an empty destination ------------------------------------------------------------------------------


def _default_labels() -> list[dict[str, Any]]:
    """The labels a new dataset starts with, as the first migration writes them."""
    path = next((migrations.MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    spec = importlib.util.spec_from_file_location("_first_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.DEFAULT_LABELS)


def _seeded_labels(conn: Connection, label: Table) -> bool:
    """Whether the labels are exactly those every new dataset starts with (nobody changed them)."""
    defaults = _default_labels()
    keys = list(defaults[0])
    rows = conn.execute(select(*(label.c[k] for k in keys)).order_by(label.c.id)).all()
    return [dict(zip(keys, row, strict=True)) for row in rows] == defaults


def _refuse_unless_empty(conn: Connection, where: str, tables: Sequence[Table]) -> None:
    held = []
    for table in tables:
        count = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if count and not (table.name == "label" and _seeded_labels(conn, table)):
            held.append(f"{count} {table.name.replace('_', ' ')} row{'s' if count != 1 else ''}")
    if held:
        raise CopyRefused(
            f"{where} already holds a dataset ({', '.join(held[:4])}{', ...' if len(held) > 4 else ''}), and a "
            "copy is only made into a new or empty one. Give a new file name as DEST, or an empty PostgreSQL "
            "database (createdb NAME); or delete what DEST holds first.")


def _clear_seeded_rows(conn: Connection, tables: Sequence[Table]) -> None:
    """Remove what a new dataset starts with (its default labels): the source's rows take their place."""
    for table in reversed(tables):
        conn.execute(table.delete())


# --- id counters ---------------------------------------------------------------------------------------


def _counted_tables(tables: Sequence[Table]) -> list[Table]:
    """Tables whose integer primary key the database gives out (``id``)."""
    return [t for t in tables if t.autoincrement_column is not None]


def _continue_counters(src: Connection, dest: Connection, tables: Sequence[Table]) -> None:
    """Make the destination give out ids after the highest the source ever gave out, not only kept."""
    for table in _counted_tables(tables):
        column = table.autoincrement_column
        assert column is not None
        highest = max(_issued(src, table), dest.execute(select(func.max(column))).scalar_one() or 0)
        if dest.dialect.name == "postgresql":
            sequence = dest.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar_one()
            if sequence is not None:
                # is_called false with 1: an empty table starts at 1, as a new one does.
                dest.execute(text("SELECT setval(:s, :v, :called)"),
                             {"s": sequence, "v": max(highest, 1), "called": highest > 0})
        elif highest and _has_sqlite_counter(dest, table.name):
            dest.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name})
            dest.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :v)"),
                         {"t": table.name, "v": highest})


def _issued(conn: Connection, table: Table) -> int:
    """The highest id ``table`` ever gave out in the source (deleted rows included, where it is known)."""
    column = table.autoincrement_column
    assert column is not None
    kept = conn.execute(select(func.max(column))).scalar_one() or 0
    if conn.dialect.name == "postgresql":
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": table.name, "c": column.name}).scalar_one()
        if sequence is None:
            return kept
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        return max(kept, last if called else 0)
    if _has_sqlite_counter(conn, table.name):
        seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}).scalar()
        return max(kept, seq or 0)
    return kept


def _has_sqlite_counter(conn: Connection, table: str) -> bool:
    """Whether ``table`` was created with AUTOINCREMENT (SQLite then never reuses an id)."""
    sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                       {"t": table}).scalar()
    return bool(sql) and "AUTOINCREMENT" in str(sql).upper()


# --- after the copy ------------------------------------------------------------------------------------


def _after_commit(dest: Store, cancel: CancelToken | None) -> None:
    """Rebuild the span lists (SQLite), or refresh the planner's statistics of the new rows (PostgreSQL).

    The copy is complete without either: a list not built yet is built by the
    desktop app in the background, and PostgreSQL analyses new rows by itself later.
    """
    if dest.is_sqlite:
        span_json.fill_missing(dest, cancel)
    else:
        with dest.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


# --- naming the two datasets ---------------------------------------------------------------------------


def shown(location: str) -> str:
    """A dataset as messages name it: its file, or its URL without the password a URL may carry."""
    if "://" not in location:
        return location
    path = _file_of(location)
    return str(path) if path is not None else make_url(location).render_as_string(hide_password=True)


def _file_of(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _same_database(a: str, b: str) -> bool:
    path_a, path_b = _file_of(a), _file_of(b)
    if path_a is not None and path_b is not None:
        return path_a.resolve() == path_b.resolve()
    return make_url(a).render_as_string(hide_password=True) == make_url(b).render_as_string(hide_password=True)


def _remove_dataset_file(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        with suppress(OSError):
            (path.parent / name).unlink()
