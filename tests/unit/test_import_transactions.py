"""A long import keeps its write transactions short, so another writer (the window) never waits long."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import event

from app.core.ingest import importer
from app.core.ingest.importer import import_sources

# A transaction holds the write lock about importer.STORE_SECONDS; this leaves room for a busy machine.
LONGEST_TRANSACTION_S = 1.0


def _import_counting(store, tmp_path: Path) -> list[tuple[int, float]]:
    """Import 200 short stories; (articles, seconds from its first article insert to its commit) per transaction
    that stored articles."""
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"title": f"Story {n}", "text": f"Story {n}: Hugo Touvron stays at "
                                            f"Meta, said the company on day {n}."}) + b"\n" for n in range(200)))
    current = {"articles": 0, "since": 0.0}
    done: list[tuple[int, float]] = []

    def count_articles(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLE "):
            if not current["articles"]:
                current["since"] = time.monotonic()
            # Several rows a statement (bulk.insert_tuples), or one statement run for each row.
            rows = statement.upper().partition(" VALUES ")[2].count("(")
            current["articles"] += len(parameters) if executemany else rows

    def committed(conn):
        if current["articles"]:
            done.append((int(current["articles"]), time.monotonic() - current["since"]))
        current["articles"] = 0

    event.listen(store.engine, "before_cursor_execute", count_articles)
    event.listen(store.engine, "commit", committed)
    try:
        report = import_sources(store, [path])
    finally:
        event.remove(store.engine, "before_cursor_execute", count_articles)
        event.remove(store.engine, "commit", committed)
    assert [o.outcome for o in report.outcomes].count("imported") == 200
    assert sum(n for n, _s in done) == 200
    return done


def test_an_import_stores_its_articles_in_short_transactions(store, tmp_path: Path) -> None:
    done = _import_counting(store, tmp_path)
    assert max(seconds for _n, seconds in done) <= LONGEST_TRANSACTION_S
    # Quick to store, so batches grew past the first 16: fewer commits (disk syncs) than 200 / 16.
    assert len(done) < 200 / importer.STORE_BATCH


def test_batches_grow_only_to_what_fits_in_the_time_allowed(store, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "STORE_SECONDS", 0.0)  # as if every article took long to store
    done = _import_counting(store, tmp_path)
    assert max(n for n, _s in done) == importer.STORE_BATCH
