"""Repairing a damaged dataset: every row that can still be read, copied into a new dataset.

A SQLite file with pages overwritten in the middle (a failing disk, a crash of
the file system, a copy cut short) still reads everywhere but on those pages.
``repair_dataset`` opens the damaged file read-only, creates a new dataset the
ordinary way (so it has the current format), and copies labels, articles with
their downloaded sources, spans, the import log and rejected suggestions into it. Each table is read
in keyset batches by id; where a batch meets a damaged page, the ids of that
stretch are read one row at a time, so a bad page loses only the rows it holds.
The indexes of a table are separate pages: they name rows (with their article's
id or uid) that the table itself no longer yields, so the report can say which
articles were lost and which saved articles lost spans.
"""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from app.core.db import span_json
from app.core.db.store import SQLITE_MAGIC, Store, latest_backup, open_store, read_only_uri
from app.core.entities import claim_columns

BATCH = 500
# A batch that fails is read again one id at a time over this many ids, then the
# batches go on after it; a damaged page of articles holds a few dozen at most.
PROBE_WINDOW = BATCH
# The tables copied, in an order that keeps their references valid; the export's
# ready-made span lists are rebuilt instead of copied, and so is a layer of
# suggestions (``article-curator suggest``). Rejected suggestions are the annotator's
# decisions: they are copied, and so is the entity registry, before the spans that link to it.
TABLES = ("label", "article", "article_source", "article_status", "assignment", "entity", "entity_alias", "span",
          "import_log", "suggestion_rejection", "review_rejection")
# Tables keyed by the article (no id of their own): read article by article.
BY_ARTICLE = ("article_source", "article_status", "assignment")
# Columns without which a table is not ours: another program's "article" or "span" table.
REQUIRED = {
    "label": {"id", "name"},
    "article": {"id", "uid", "text"},
    "article_source": {"article_id"},
    "span": {"id", "article_id", "start", "end", "label_id", "text"},
    "entity": {"id", "label_id", "name", "name_key"},
    "entity_alias": {"id", "entity_id", "name", "name_key"},
    "import_log": {"id", "source", "outcome"},
    "suggestion_rejection": {"id", "article_id", "start", "end", "label_id", "text"},
    "article_status": {"article_id", "annotator", "status"},
    "assignment": {"article_id", "annotator"},
    "review_rejection": {"id", "article_id", "start", "end", "label_id"},
}

ProgressFn = Callable[[str], None]


class RepairRefused(Exception):
    """The repair cannot start (no source, the destination exists, ...); ``str()`` says why."""


@dataclass
class TableCopy:
    """One table's outcome: rows copied, and rows known to exist that could not be saved."""

    saved: int = 0
    lost_ids: list[int] = field(default_factory=list)  # ids an index names, unreadable or refused
    unreadable: list[tuple[int, int]] = field(default_factory=list)  # id ranges that failed, ids unknown

    @property
    def complete(self) -> bool:
        return not self.lost_ids and not self.unreadable


@dataclass
class RepairReport:
    source: Path
    dest: Path
    tables: dict[str, TableCopy] = field(default_factory=dict)
    lost_articles: list[tuple[int, str | None]] = field(default_factory=list)  # (id, uid when known)
    articles_missing_spans: list[int] = field(default_factory=list)  # saved, but some spans were lost

    @property
    def complete(self) -> bool:
        return all(t.complete for t in self.tables.values()) and not self.articles_missing_spans

    def saved(self, table: str) -> int:
        return self.tables[table].saved if table in self.tables else 0


def suggested_destination(path: Path) -> Path:
    """A free name beside ``path`` for its repaired copy: ``name.repaired.sqlite`` (or ``-2`` ...)."""
    suffix = path.suffix or ".sqlite"
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    candidate = path.with_name(f"{stem}.repaired{suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}.repaired-{n}{suffix}")
        n += 1
    return candidate


def damaged_message(store: Store) -> str:
    """One sentence: the dataset is damaged, and the two ways out (its backup, or a repair)."""
    path = store.path
    if path is None:
        return (f"The dataset {store.where} is damaged: restore it from a backup of the database server.")
    repair = (f"run `article-curator repair {shlex.quote(str(path))} "
              f"{shlex.quote(str(suggested_destination(path)))}` to copy every readable article into a new dataset")
    backup = latest_backup(path)
    if backup is not None:
        return (f"The dataset {path} is damaged: open the copy made before its last upgrade, {backup}, "
                f"or {repair}.")
    return f"The dataset {path} is damaged: {repair}."


# --- reading the damaged file --------------------------------------------------------------------


def _open_source(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    conn.execute("PRAGMA query_only=ON")
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    except sqlite3.Error:
        return []


def _known_ids(conn: sqlite3.Connection, table: str) -> dict[int, dict[str, Any]]:
    """Row ids that the table's indexes name, with the indexed values (e.g. an article's uid).

    Each index is read on its own and as far as it can be: a damaged index page
    loses only what it held, and the other indexes may still name those rows.
    """
    known: dict[int, dict[str, Any]] = {}
    try:
        indexes = [row[1] for row in conn.execute(f'PRAGMA index_list("{table}")')]
    except sqlite3.Error:
        return known
    for index in indexes:
        try:
            cols = [row[2] for row in conn.execute(f'PRAGMA index_info("{index}")') if row[2]]
            names = ", ".join(f'"{c}"' for c in cols)
            cursor = conn.execute(f'SELECT id, {names} FROM "{table}" INDEXED BY "{index}"')
            while True:
                rows = cursor.fetchmany(BATCH)
                if not rows:
                    break
                for row in rows:
                    known.setdefault(row[0], {}).update(zip(cols, row[1:], strict=True))
        except sqlite3.Error:
            continue
    return known


def _max_id(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f'SELECT max(id) FROM "{table}"').fetchone()[0] or 0)
    except sqlite3.Error:
        return 0


def _read_rows(conn: sqlite3.Connection, table: str, columns: list[str], upper: int,
               copy: TableCopy) -> list[tuple[Any, ...]]:
    """Every readable row of ``table`` (``id`` first), by keyset batches, one by one where they fail."""
    names = ", ".join(f'"{c}"' for c in columns)
    batch_sql = f'SELECT {names} FROM "{table}" WHERE id > ? ORDER BY id LIMIT {BATCH}'
    one_sql = f'SELECT {names} FROM "{table}" WHERE id = ?'
    rows: list[tuple[Any, ...]] = []
    last = 0
    while True:
        try:
            batch = conn.execute(batch_sql, (last,)).fetchall()
        except sqlite3.Error:
            batch = None
        if batch is not None:
            if not batch:
                return rows
            rows.extend(batch)
            last = batch[-1][0]
            continue
        failed_from: int | None = None
        for row_id in range(last + 1, last + PROBE_WINDOW + 1):
            try:
                row = conn.execute(one_sql, (row_id,)).fetchone()
            except sqlite3.Error:
                failed_from = row_id if failed_from is None else failed_from
                continue
            if failed_from is not None:
                copy.unreadable.append((failed_from, row_id - 1))
                failed_from = None
            if row is not None:
                rows.append(row)
        if failed_from is not None:
            copy.unreadable.append((failed_from, last + PROBE_WINDOW))
        last += PROBE_WINDOW
        if last >= upper:
            return rows


# --- the repair ------------------------------------------------------------------------------------


def repair_dataset(source: Path, dest: Path, progress: ProgressFn | None = None) -> RepairReport:
    """Copy what can be read of the dataset ``source`` into a new dataset ``dest``.

    Raises ``RepairRefused`` when ``source`` is missing or not a dataset, or ``dest``
    exists, and ``StoreError`` when ``dest`` cannot be created. ``dest`` is
    removed again if the copy itself fails.
    """
    source, dest = Path(source).expanduser().resolve(), Path(dest).expanduser().resolve()
    _check_paths(source, dest)
    try:
        src = _open_source(source)
    except sqlite3.Error as exc:
        raise RepairRefused(f"{source} cannot be read at all ({exc}); nothing can be saved from it.") from exc
    report = RepairReport(source, dest)
    try:
        if "id" not in _columns(src, "article"):
            raise RepairRefused(f"{source} cannot be repaired: its list of tables is damaged or it is not an "
                                "Article Curator dataset, so no article can be found in it.")
        for table, needed in REQUIRED.items():
            columns = set(_columns(src, table))
            if columns and not needed <= columns:
                raise RepairRefused(f"{source} is not an Article Curator dataset: its {table} table lacks "
                                    f"{', '.join(sorted(needed - columns))}, so nothing can be copied from it.")
        store = open_store(dest)
        try:
            with store.begin() as out:
                _copy_all(src, out, report, progress)
                claim_columns.refresh_all(out)  # what was copied of them may be stale, or absent in an old dataset
                store.search.rebuild(out)  # the articles came in under their own ids, past the importer
            span_json.fill_missing(store)
        except BaseException:
            store.close()
            _remove_dataset(dest)
            raise
        store.close()
    finally:
        src.close()
    return report


def _check_paths(source: Path, dest: Path) -> None:
    if not source.is_file():
        raise RepairRefused(f"There is no dataset file {source}.")
    with source.open("rb") as f:
        if not f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            raise RepairRefused(f"{source} is not a dataset file (not even its first bytes are), so it cannot be "
                                "repaired. Open a backup copy of it instead.")
    if dest == source:
        raise RepairRefused("The repaired dataset must be a new file, not the damaged one itself.")
    if dest.exists():
        raise RepairRefused(f"{dest} already exists; give the name of a new file for the repaired dataset.")


def _remove_dataset(path: Path) -> None:
    for extra in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + extra).unlink(missing_ok=True)


def _copy_all(src: sqlite3.Connection, out: Connection, report: RepairReport,
              progress: ProgressFn | None) -> None:
    dest_columns = {table: [r[1] for r in out.exec_driver_sql(f'PRAGMA table_info("{table}")')] for table in TABLES}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    known: dict[str, dict[int, dict[str, Any]]] = {}
    columns: dict[str, list[str]] = {}
    for table in TABLES:
        if progress is not None:
            progress(f"reading {table}")
        copy = report.tables.setdefault(table, TableCopy())
        src_columns = _columns(src, table)
        key = "article_id" if table in BY_ARTICLE else "id"  # first: rows are known by it
        columns[table] = [key] + [c for c in dest_columns[table] if c in src_columns and c != key]
        if not src_columns:
            rows[table] = []  # an older dataset without this table, or its definition is unreadable
        elif table in BY_ARTICLE:
            rows[table] = _read_by_article(src, table, columns[table], rows["article"], copy)
        else:
            known[table] = _known_ids(src, table)
            upper = max([_max_id(src, table), *known[table]], default=0)
            rows[table] = _read_rows(src, table, columns[table], upper, copy)

    if progress is not None:
        progress("writing the new dataset")
    label_ids = _write_labels(out, rows["label"], columns["label"], report)
    saved_articles = _write(out, "article", columns["article"], rows["article"], report)
    for table in BY_ARTICLE:
        _write(out, table, columns[table], [r for r in rows[table] if r[0] in saved_articles], report)
    span_rows = _spans_to_write(out, rows["span"], columns["span"], saved_articles, label_ids)
    saved_entities = _write_entities(out, rows, columns, report)
    if "entity_id" in columns["span"]:
        link_at = columns["span"].index("entity_id")
        # A mention of an entity that was lost is kept, no longer linked.
        span_rows = [r if r[link_at] is None or r[link_at] in saved_entities
                     else (*r[:link_at], None, *r[link_at + 1:]) for r in span_rows]
    saved_spans = _write(out, "span", columns["span"], span_rows, report)
    at = columns["import_log"].index("article_id") if "article_id" in columns["import_log"] else None
    # An import record of an article that was lost is kept, no longer linked to it.
    log_rows = [r if at is None or r[at] in saved_articles else (*r[:at], None, *r[at + 1:])
                for r in rows["import_log"]]
    _write(out, "import_log", columns["import_log"], log_rows, report)
    for table in ("suggestion_rejection", "review_rejection"):
        _write(out, table, columns[table],
               _of_saved_articles_and_labels(out, rows[table], columns[table], saved_articles), report)
    _account_losses(report, known, saved_articles, saved_spans)


def _read_by_article(src: sqlite3.Connection, table: str, columns: list[str], articles: list[tuple[Any, ...]],
                     copy: TableCopy) -> list[tuple[Any, ...]]:
    """Rows keyed by article id (downloaded pages, each annotator's status, assignments): a query per article."""
    names = ", ".join(f'"{c}"' for c in columns)
    out = []
    for article in articles:
        try:
            out.extend(src.execute(f'SELECT {names} FROM "{table}" WHERE article_id = ?', (article[0],)).fetchall())
        except sqlite3.Error:
            copy.lost_ids.append(article[0])
    return out


def _write_labels(out: Connection, rows: list[tuple[Any, ...]], columns: list[str],
                  report: RepairReport) -> set[int]:
    """The source's labels under their own ids (spans refer to them), instead of the new dataset's defaults."""
    if rows:
        out.exec_driver_sql("DELETE FROM label")  # the defaults a new dataset starts with; no span uses them yet
        _write(out, "label", columns, rows, report)
    return {int(r[0]) for r in out.exec_driver_sql("SELECT id FROM label")}


def _spans_to_write(out: Connection, rows: list[tuple[Any, ...]], columns: list[str], articles: set[int],
                    label_ids: set[int]) -> list[tuple[Any, ...]]:
    """Spans of saved articles; a label that was lost comes back as ``LABEL_<id>``, so its spans are kept."""
    article_at, label_at = columns.index("article_id"), columns.index("label_id")
    kept = [r for r in rows if r[article_at] in articles]
    for missing in sorted({r[label_at] for r in kept} - label_ids):
        out.execute(text("INSERT INTO label (id, name, kind, color, description, position) "
                         "VALUES (:id, :name, 'entity', '#888888', :why, :id)"),
                    {"id": missing, "name": f"LABEL_{missing}", "why": "Its name was lost in a repair."})
    return kept


def _write_entities(out: Connection, rows: dict[str, list[tuple[Any, ...]]], columns: dict[str, list[str]],
                    report: RepairReport) -> set[int]:
    """Entities whose label the new dataset has, then their aliases; the ids of the entities saved."""
    labels = {int(r[0]) for r in out.exec_driver_sql("SELECT id FROM label")}
    label_at = columns["entity"].index("label_id") if rows["entity"] else 0
    saved = _write(out, "entity", columns["entity"], [r for r in rows["entity"] if r[label_at] in labels], report)
    owner_at = columns["entity_alias"].index("entity_id") if rows["entity_alias"] else 0
    _write(out, "entity_alias", columns["entity_alias"], [r for r in rows["entity_alias"] if r[owner_at] in saved],
           report)
    return saved


def _of_saved_articles_and_labels(out: Connection, rows: list[tuple[Any, ...]], columns: list[str],
                                  articles: set[int]) -> list[tuple[Any, ...]]:
    """Rows of saved articles whose label the new dataset has (a rejection of a lost label says nothing)."""
    if not rows:
        return []
    labels = {int(r[0]) for r in out.exec_driver_sql("SELECT id FROM label")}
    article_at, label_at = columns.index("article_id"), columns.index("label_id")
    return [r for r in rows if r[article_at] in articles and r[label_at] in labels]


def _write(out: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]],
           report: RepairReport) -> set[int]:
    """Insert ``rows`` (first column the key); a batch that is refused goes again row by row."""
    copy = report.tables.setdefault(table, TableCopy())
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    raw = out.connection.driver_connection
    assert raw is not None  # only a closed connection has lost its driver's
    saved: set[int] = set()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        raw.execute("SAVEPOINT repair_batch")
        try:
            raw.executemany(sql, batch)
            raw.execute("RELEASE repair_batch")
            saved.update(r[0] for r in batch)
            continue
        except sqlite3.Error:
            raw.execute("ROLLBACK TO repair_batch")
            raw.execute("RELEASE repair_batch")
        for row in batch:
            # A row from a damaged page may hold garbage that a constraint refuses.
            try:
                raw.execute(sql, row)
                saved.add(row[0])
            except sqlite3.Error:
                copy.lost_ids.append(row[0])
    copy.saved += len(saved)
    return saved


def _account_losses(report: RepairReport, known: dict[str, dict[int, dict[str, Any]]], articles: set[int],
                    spans: set[int]) -> None:
    """What the indexes name that did not arrive: lost articles with their uids, articles that lost spans."""
    for table, copy in report.tables.items():
        saved_ids = articles if table == "article" else spans if table == "span" else None
        if saved_ids is None:
            continue  # labels and import records: only rows that were read and refused count
        missing = sorted(set(known.get(table, {})) - saved_ids - set(copy.lost_ids))
        copy.lost_ids.extend(missing)
        copy.lost_ids.sort()
        # A stretch whose every id is named above says nothing more.
        lost = set(copy.lost_ids)
        copy.unreadable = [(a, b) for a, b in copy.unreadable if not lost.issuperset(range(a, b + 1))]
    report.lost_articles = [(i, known["article"].get(i, {}).get("uid")) for i in report.tables["article"].lost_ids]
    span_index = known.get("span", {})
    report.articles_missing_spans = sorted(
        {span_index[i]["article_id"] for i in report.tables["span"].lost_ids
         if i in span_index and span_index[i].get("article_id") in articles}
    )

