"""Each article's spans, kept ready as the JSON list the native export writes.

A full native export of 100k articles with 20 spans each would otherwise turn
two million span rows into Python objects and back into JSON, which takes
longer than everything else the export does. The ``article_span_json`` table
holds, per article, that list exactly as ``exporter`` would write it, plus its
spans per label; the export then copies it into the line untouched.

It is a cache that can only ever be missing, never stale:
- each row carries the ``FORMAT`` of its list; the export ignores other formats;
- triggers (migration 0004) delete an article's row whenever one of its spans,
  its text or the name of a label it uses changes, in the same transaction;
- the article store rebuilds the rows of the articles it imports in the same
  transaction; after an edit, ``refresh_articles`` rebuilds them (the desktop
  app calls it once the annotator pauses, off the GUI thread);
- a row is only written when every span's text matches the article text, so
  an inconsistent article always goes through the export's full check.
An article without a row is exported from its span rows, as before, and
``fill_missing`` builds the missing rows in the background (the desktop app
runs it after opening a dataset).

SQLite only: on PostgreSQL there are no such triggers, so nothing is cached
and every export reads the span rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson

from app.core.db.in_lists import chunked, execute_in, select_in

if TYPE_CHECKING:  # the export reads the lists without SQLAlchemy; only writing them needs it
    from sqlalchemy import Connection

    from app.core.cancel import CancelToken
    from app.core.db.store import Store

TABLE = "article_span_json"
# The layout of the lists ``native_spans`` writes. Raise it whenever that layout
# changes: rows an older version wrote then count as missing, so an export never
# copies a list in an old layout. 2: spans carry "entity_id" and "claimant_id" when linked.
FORMAT = 2

_EMPTY: dict[str, Any] = {}

# A span row as both this module and the exporter read it: (article id, start,
# end, label, annotator, text, attributes JSON or None when empty, entity id,
# claimant id). The label is a name here and a rank in the exporter; both sort
# the same way. The ids are the dataset's own; a link to an entity is only a
# number here, so renaming an entity leaves every list as it is, and whatever
# changes a span's link updates the span row, whose trigger drops the list.
SpanRow = tuple[int, int, int, Any, str, str, "str | None", "int | None", "int | None"]


def native_spans(spans: Sequence[SpanRow], names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The native export's ``spans`` list for one article's rows (already sorted).

    With ``names``, a row's label is an index into it; without, it is the name.
    The links (``entity_id``, ``claimant_id``) are written only when set, so an
    export of a dataset without links reads as it did before links existed.
    """
    loads = orjson.loads
    out = [{"start": s, "end": e, "label": label if names is None else names[label], "text": t,
            "annotator": who, "attributes": _EMPTY if attr is None else loads(attr)}
           for _aid, s, e, label, who, t, attr, _entity, _claimant in spans]
    # A second, cheaper pass for the links: this runs once per span of a whole export.
    for span, row in zip(out, spans, strict=True):
        if row[7] is not None:
            span["entity_id"] = row[7]
        if row[8] is not None:
            span["claimant_id"] = row[8]
    return out


def refresh(conn: Connection, article_ids: Iterable[int]) -> None:
    """Rebuild the cached span lists of these articles (call inside the writing transaction)."""
    if conn.dialect.name != "sqlite":
        return  # no triggers elsewhere, so nothing is cached (see above)
    for chunk in chunked(int(i) for i in article_ids):
        _refresh_chunk(conn, chunk)


def _refresh_chunk(conn: Connection, ids: list[int]) -> None:
    execute_in(conn, f"DELETE FROM {TABLE} WHERE article_id IN :values", ids)
    bodies = dict(select_in(conn, "SELECT id, text FROM article WHERE id IN :values", ids))
    rows = select_in(
        conn,
        'SELECT span.article_id, span.start, span."end", label.name, span.annotator, span.text, '
        "NULLIF(span.attributes, '{}'), span.entity_id, span.claimant_id "
        "FROM span JOIN label ON label.id = span.label_id "
        "WHERE span.article_id IN :values",
        ids,
    )
    _write(conn, [tuple(r) for r in rows], bodies)


def store_new(conn: Connection, rows: Sequence[SpanRow], bodies: dict[int, str]) -> None:
    """Write the lists of articles just inserted, from their span rows as stored (label names,
    attributes JSON or None), without reading back what the caller has at hand."""
    if conn.dialect.name == "sqlite":
        _write(conn, rows, bodies)


def _write(conn: Connection, rows: Sequence[SpanRow], bodies: dict[int, str]) -> None:
    # Plain tuples sort by (article, start, end, label name, annotator): the export's order.
    ordered = sorted(rows)
    values = []
    for article_id, group in groupby(ordered, key=itemgetter(0)):
        spans = list(group)
        body = bodies.get(article_id)
        if body is None or any(body[span[1]:span[2]] != span[5] for span in spans):
            continue  # left to the export's full check, which names the mismatch
        counts: dict[str, int] = {}
        for span in spans:
            counts[span[3]] = counts.get(span[3], 0) + 1
        values.append((article_id, orjson.dumps(native_spans(spans)).decode(), orjson.dumps(counts).decode(),
                       FORMAT))
    from app.core.db.bulk import insert_tuples  # only writing the lists needs SQLAlchemy

    insert_tuples(conn, TABLE, ("article_id", "spans", "label_counts", "format"), values)


def refresh_articles(store: Store, article_ids: Iterable[int]) -> None:
    """Rebuild these articles' lists in a transaction of their own (after edits)."""
    if store.is_sqlite:
        with store.begin() as conn:
            refresh(conn, article_ids)


def fill_missing(store: Store, cancel: CancelToken | None = None, chunk: int = 200) -> int:
    """Build the lists that labelled articles lack (a dataset from before the table
    existed, or one whose label was renamed); returns how many were built.

    Meant for the background: one short transaction per ``chunk`` articles, so
    edits and imports go on meanwhile, and ``cancel`` stops it between two.
    """
    if not store.is_sqlite:
        return 0
    built, last = 0, 0
    while cancel is None or not cancel.cancelled:
        with store.begin() as conn:
            ids = [r[0] for r in conn.exec_driver_sql(
                f"SELECT DISTINCT span.article_id FROM span LEFT JOIN {TABLE} j "
                "ON j.article_id = span.article_id AND j.format = ? "
                "WHERE span.article_id > ? AND j.article_id IS NULL ORDER BY span.article_id LIMIT ?",
                (FORMAT, last, chunk))]
            if not ids:
                break
            refresh(conn, ids)
        built += len(ids)
        last = ids[-1]  # onwards even past an article that cannot be cached (a mismatch)
    return built

