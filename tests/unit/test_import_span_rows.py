"""An import's span rows go in as plain tuples, many rows a statement, with their claims' sort columns computed
in Python (app/core/ingest/span_rows.py, app/core/db/bulk.py): what it stores is what SQLAlchemy's insert of
one row at a time, then SQL computing every claim's columns, stored for the same file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, text

from app.core.db import bulk
from app.core.db.store import Store, open_store
from app.core.entities import claim_columns
from app.core.ingest import span_rows
from app.core.ingest.importer import import_sources

BODY = ("Mayor Elena Vasquez said the bridge is safe. Zoë Müller said the tower was paid for. "
        "The council said taxes fall; Hugo Touvron stays at Meta.\tThe end. ")

def _at(words: str) -> tuple[int, int]:
    return BODY.index(words), BODY.index(words) + len(words)


CLAIMS = [_at("Mayor Elena Vasquez said the bridge is safe"), _at("Zoë Müller said the tower was paid for"),
          _at("The council said taxes fall")]
MENTIONS = [(*_at("Elena Vasquez"), "PERSON"), (*_at("Zoë Müller"), "PERSON"), (*_at("Meta"), "ORG"),
            (*_at("Hugo Touvron"), "PERSON")]
# Claim attributes as files bring them: each is a case where SQL and Python could part ways.
ATTRIBUTES: list[dict[str, Any]] = [
    {"claimant": "Elena Vasquez", "verdict": "true", "note": "checked"},
    {"claimant": "Zoë Müller", "verdict": "False", "date": " 2024-12-01 "},  # non-ASCII: lowered by SQL
    {"claimant": "", "verdict": 3, "date": "\t2024-01-01"},  # a number; a tab SQL's trim keeps
    {"date": "   ", "verdict": None},  # a blank date: the article's
    {"claimant": {"name": "nested"}, "verdict": True},
    {"date": 20240101, "claimant": "A\x00B"},
    {},
]
SITES = ["Harbor News", "Café Daily", None, "  Spaced  "]
PUBLISHED = ["2025-03-02T08:00:00Z", None, "  2023-07-04 10:00", "", "2025-13-99 not a date at all"]


def _records(n: int) -> list[dict[str, Any]]:
    records = []
    for i in range(n):
        spans = [{"start": s, "end": e, "label": label, "text": BODY[s:e], "annotator": "ana"}
                 for s, e, label in MENTIONS]
        spans += [{"start": s, "end": e, "label": "CLAIM", "text": BODY[s:e], "annotator": who,
                   "attributes": ATTRIBUTES[(i + k) % len(ATTRIBUTES)]}
                  for k, (s, e) in enumerate(CLAIMS) for who in ("ana", "")]
        spans.append(dict(spans[0]))  # listed twice: stored once
        meta: dict[str, Any] = {"site_name": SITES[i % len(SITES)], "date": PUBLISHED[i % len(PUBLISHED)]}
        records.append({"id": f"art{i:04d}", "title": f"Story {i}", "text": f"{BODY}{i}",
                        "meta": {k: v for k, v in meta.items() if v is not None}, "spans": spans})
    return records


def _import(store: Store, path: Path) -> None:
    """Import ``path`` (the dataset's default labels hold CLAIM, a claim label)."""
    report = import_sources(store, [path])
    assert report.imported == len(path.read_bytes().splitlines()), report.failures[:2]


def _contents(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every span row (all columns but the times, the same in each row) and every cached span list, in id
    order."""
    with store.begin() as conn:
        assert not conn.exec_driver_sql("SELECT count(*) FROM span WHERE created_at != updated_at").scalar_one()
        spans = [tuple(r) for r in conn.execute(text("SELECT * FROM span ORDER BY id"))]
        spans = [r[:9] + r[11:] for r in spans]
        lists = [tuple(r) for r in conn.execute(text("SELECT * FROM article_span_json ORDER BY article_id"))]
    return spans, lists


def _one_row_a_statement(conn: Connection, table: str, columns: Any, rows: Any) -> None:
    """The way span rows were stored before: an executemany of one statement a row."""
    assert table == "span"
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(f"INSERT INTO span ({names}) VALUES ({', '.join('?' * len(columns))})", list(rows))


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in _records(60)))
    return path


def test_the_span_rows_and_lists_are_those_of_one_insert_a_row_and_claims_computed_in_sql(
        store: Store, labelled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference_path = tmp_path / "reference.sqlite"
    shutil.copyfile(store.path, reference_path)  # type: ignore[arg-type]
    _import(store, labelled)
    fast = _contents(store)

    with monkeypatch.context() as patch:
        patch.setattr(span_rows, "insert_tuples", _one_row_a_statement)
        patch.setattr(claim_columns, "values_of", lambda *_args: None)  # every claim computed by SQL
        reference = open_store(reference_path)
        try:
            _import(reference, labelled)
            slow = _contents(reference)
        finally:
            reference.close()

    spans, lists = fast
    assert len(spans) == 60 * (len(MENTIONS) + 2 * len(CLAIMS)) and len(lists) == 60
    assert spans == slow[0]
    assert lists == slow[1]
    claims_filled = [r for r in spans if r[-4] is not None]
    assert len(claims_filled) == 60 * 2 * len(CLAIMS)


def test_the_claim_columns_python_computes_are_those_sql_computes(store: Store, labelled: Path) -> None:
    _import(store, labelled)
    before = _contents(store)[0]
    with store.begin() as conn:
        claim_columns.refresh_all(conn)
    assert _contents(store)[0] == before
    # Python was sure of some claims and left the others to SQL.
    sure = [claim_columns.values_of(a, None, p, s) for a in ATTRIBUTES for p in PUBLISHED for s in SITES]
    assert None in sure and any(v is not None for v in sure)


def test_many_rows_go_in_statements_of_as_many_rows_as_sqlite_may_bind(
        store: Store, labelled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference_path = tmp_path / "reference.sqlite"
    shutil.copyfile(store.path, reference_path)  # type: ignore[arg-type]
    _import(store, labelled)
    statements: list[tuple[str, int, int]] = []
    monkeypatch.setattr(bulk, "_variable_limit", lambda _conn: 999)  # SQLite before 3.32
    made = bulk._values_sql
    monkeypatch.setattr(bulk, "_values_sql", lambda *a: statements.append(a) or made(*a))
    reference = open_store(reference_path)
    try:
        _import(reference, labelled)
        assert _contents(reference) == _contents(store)
    finally:
        reference.close()
    span_statements = [rows for head, columns, rows in statements if head.startswith("INSERT INTO span ")]
    assert max(span_statements) == 999 // len(span_rows.COLUMNS) and len(set(span_statements)) > 1


def test_a_row_that_fails_fails_its_whole_batch_and_the_rest_are_stored_one_by_one(store: Store) -> None:
    rows = [(f"u{i}", "t", f"text {i}", f"hash {i}", "file", "new", "{}", "2026-01-01 00:00:00.000000",
             "2026-01-01 00:00:00.000000") for i in range(600)]
    columns = ("uid", "title", "text", "text_hash", "source_kind", "status", "meta", "created_at", "updated_at")
    broken = [*rows[:500], ("u1", *rows[1][1:3], "another hash", *rows[1][4:])]  # the uid of row 2 again
    with pytest.raises(Exception, match="UNIQUE"), store.begin() as conn:
        bulk.insert_tuples(conn, "article", columns, broken)
    with store.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM article").scalar_one() == 0
        bulk.insert_tuples(conn, "article", columns, rows)
        stored = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM article ORDER BY id")]
    assert stored == rows
