"""The same core against a real PostgreSQL server (started in a temp folder), when one is installed."""

from __future__ import annotations

import orjson
import pytest

pytest.importorskip("psycopg")


def _fill(store) -> None:
    from app.core.ingest.storing import store_articles
    from app.core.ops import span_edits
    from app.core.validation import NewArticle

    store_articles(store, [
        NewArticle(uid="a1", text="Hugo Touvron stays at Meta. He said Llama remains central.", title="Meta stays",
                   url="https://example.org/a1", source_kind="url", source="https://example.org/a1"),
        NewArticle(uid="a2", text="Mistral, founded by Guillaume Lample, raised money in Paris.", title="Mistral",
                   source_kind="paste"),
    ])
    span_edits.add_span(store, 1, 0, 12, "PERSON", annotator="ana")
    span_edits.add_span(store, 1, 22, 26, "ORG", annotator="ana")
    span_edits.add_span(store, 1, 0, 27, "CLAIM", annotator="ana", attributes={"claimant": "Hugo Touvron"})
    span_edits.set_status(store, [1], "done")


def test_core_works_the_same_on_postgresql_and_sqlite(pg_url, tmp_path):
    from app.core.db.store import open_store
    from app.core.export.exporter import ExportOptions, export_jsonl
    from app.core.ops import library

    lines = {}
    for name, location in (("pg", pg_url), ("sqlite", str(tmp_path / "same.sqlite"))):
        store = open_store(location)
        try:
            _fill(store)
            assert [r.title for r in library.search(store, "touvron")] == ["Meta stays"]
            assert library.search(store, 'C++ "AND ((') == []
            assert library.count_articles(store, library.ArticleFilter(statuses=("done",))) == 1
            page = library.list_articles(store, sort="title", limit=1)
            rest = library.list_articles(store, sort="title", after=library.sort_key(page[0], "title"), limit=5)
            assert [r.title for r in page + rest] == ["Meta stays", "Mistral"]
            out = tmp_path / f"{name}.jsonl"
            export_jsonl(store, out, ExportOptions())
            lines[name] = [orjson.loads(x) for x in out.read_bytes().splitlines()]
        finally:
            store.close()
    assert lines["pg"] == lines["sqlite"]
    assert lines["pg"][0]["spans"][0]["text"] == "Hugo Touvron"
