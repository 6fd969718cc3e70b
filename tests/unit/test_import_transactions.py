"""A long import keeps its write transactions short, so another writer (the window) never waits long."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import event

from app.core.ingest.importer import import_sources

LONGEST_TRANSACTION = 16  # articles: about ten milliseconds of holding the write lock


def test_an_import_stores_its_articles_in_short_transactions(store, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"title": f"Story {n}", "text": f"Story {n}: Hugo Touvron stays at "
                                            f"Meta, said the company on day {n}."}) + b"\n" for n in range(200)))
    per_transaction: list[int] = [0]

    def count_articles(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLE "):
            per_transaction[-1] += len(parameters) if executemany else 1

    event.listen(store.engine, "before_cursor_execute", count_articles)
    event.listen(store.engine, "commit", lambda conn: per_transaction.append(0))
    try:
        report = import_sources(store, [path])
    finally:
        event.remove(store.engine, "before_cursor_execute", count_articles)
    assert [o.outcome for o in report.outcomes].count("imported") == 200
    assert sum(per_transaction) == 200
    assert max(per_transaction) <= LONGEST_TRANSACTION
