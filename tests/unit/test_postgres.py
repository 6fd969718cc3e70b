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


def _pg_schema(conn) -> dict[str, list[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    return {
        "columns": conn.exec_driver_sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, generation_expression "
            "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name"
        ).all(),
        "indexes": conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
        ).all(),
        "constraints": conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).all(),
    }


def test_every_revision_one_at_a_time_ends_at_the_schema_of_one_jump(pg_url):
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from app.core.db import migrations

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("stepped", "direct"):
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    base = pg_url.rsplit("/", 1)[0]
    stepped, direct = create_engine(f"{base}/stepped"), create_engine(f"{base}/direct")
    try:
        revisions = [s.revision for s in ScriptDirectory.from_config(migrations.alembic_config()).walk_revisions()]
        for rev in reversed(revisions):
            migrations.upgrade(stepped, rev)
        migrations.upgrade(direct)
        with stepped.connect() as a, direct.connect() as b:
            schema = _pg_schema(a)
            assert schema == _pg_schema(b)
        assert ("article", "search_vector") in {(t, c) for t, c, *_ in schema["columns"]}
        assert "ix_article_search" in {name for name, _ in schema["indexes"]}
    finally:
        stepped.dispose()
        direct.dispose()


def test_suggestions_and_rejections_work_on_postgresql(pg_url):
    from app.core.db.store import open_store
    from app.core.ops import span_edits
    from app.core.suggest import service

    store = open_store(pg_url)
    try:
        with store.begin() as conn:
            conn.exec_driver_sql("TRUNCATE article, import_log RESTART IDENTITY CASCADE")
        _fill(store)
        docs = service.training_documents(store)
        assert [(d["text"][s["start"]:s["end"]], s["label"]) for d in docs for s in d["spans"]] == [
            ("Hugo Touvron", "PERSON"), ("Meta", "ORG")]
        suggester = service.build_suggester(store, None)
        offered = service.suggestions_for(store, suggester, 2)
        service.store_suggestions(store, {2: offered})
        assert service.stored_suggestions(store, 2) == offered
        service.store_suggestions(store, {2: [{"start": 0, "end": 7, "label": "ORG", "score": 0.5}]})
        assert service.stored_suggestions(store, 2) == [{"start": 0, "end": 7, "label": "ORG", "score": 0.5}]
        assert service.reject_suggestion(store, 2, 0, 7, "ORG", annotator="ana").after["text"] == "Mistral"
        assert service.reject_suggestion(store, 2, 0, 7, "ORG", annotator="bob").empty  # once is enough
        assert service.suggestions_for(store, None, 2) == []
        span_edits.add_span(store, 2, 20, 36, "PERSON", annotator="ana", origin="suggested")
        assert service.acceptance_rates(store) == {"PERSON": (1, 0), "ORG": (0, 1)}
        assert service.rejected_strings(store) == [("Mistral", "ORG")]
        assert service.unreject_suggestion(store, 2, 0, 7, "ORG", annotator="bob").empty  # not bob's
        assert not service.unreject_suggestion(store, 2, 0, 7, "ORG", annotator="ana").empty
        span_edits.delete_articles(store, [2])
        with store.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM suggestion").scalar_one() == 0
    finally:
        store.close()


def test_a_labelled_jsonl_import_stores_the_same_on_postgresql_and_sqlite(pg_url, tmp_path):
    # Articles and spans go to the driver as plain tuples (bulk.insert_tuples): psycopg's placeholders there.
    from app.core.db.store import open_store
    from app.core.export.exporter import ExportOptions, export_jsonl
    from app.core.ingest.importer import import_sources
    from app.core.ops import library

    body = "Zoë Müller said the “Café Union” strike ends; Hugo Touvron stays at Meta."
    source = tmp_path / "labelled.jsonl"
    source.write_bytes(b"".join(orjson.dumps({
        "id": f"rec{n}", "title": f"Strike {n}", "text": f"{body} Day {n}.", "status": "done",
        "meta": {"source_kind": "url", "url": f"https://example.org/{n}", "desk": "labour"},
        "spans": [{"start": 0, "end": 10, "label": "PERSON", "text": "Zoë Müller", "annotator": "ana"},
                  {"start": 21, "end": 31, "label": "org", "text": "Café Union"},
                  {"start": 0, "end": 43, "label": "CLAIM", "attributes": {"claimant": "Zoë Müller"}}],
    }) + b"\n" for n in range(40)))
    lines = {}
    for name, location in (("pg", pg_url), ("sqlite", str(tmp_path / "same.sqlite"))):
        store = open_store(location)
        try:
            report = import_sources(store, [source])
            assert report.imported == 40 and not report.failures
            assert len(library.search(store, "müller", 50)) == 40  # the server's database holds other tests' articles
            with store.begin() as conn:
                times = conn.exec_driver_sql("SELECT DISTINCT created_at = updated_at FROM span").all()
            assert times == [(True,)]
            out = tmp_path / f"{name}.jsonl"
            export_jsonl(store, out, ExportOptions())
            lines[name] = [r for x in out.read_bytes().splitlines() if (r := orjson.loads(x))["title"].startswith("Strike")]
        finally:
            store.close()
    assert lines["pg"] == lines["sqlite"] and len(lines["pg"]) == 40
    assert [s["label"] for s in lines["pg"][0]["spans"]] == ["PERSON", "CLAIM", "ORG"]
