"""Copying a dataset SQLite -> PostgreSQL -> SQLite keeps every row of every table, ids included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select
from sqlmodel import SQLModel

from app.core.cancel import Cancelled, CancelToken
from app.core.db import span_json
from app.core.db.copy import CopyRefused, copy_dataset
from app.core.db.store import open_store

TEXT_A = ("Hugo Touvron stays at Meta 🎉. He said Llama remains central to the plan, "
          "and the company will keep investing in open models for years.")
TEXT_B = "Mistral, founded by Guillaume Lample, raised money in Paris. Lample said growth ‘will continue’."
# A near copy of TEXT_A: the import clusters the two and both keep a signature.
TEXT_C = TEXT_A.replace("for years", "for many years")


def _rich_dataset(path: Path) -> None:
    """Every kind of row a dataset holds: sources, labels, two annotators' spans with claim attributes,
    entities with aliases and links, suggestions, rejections, statuses, import log, near-copy signatures."""
    from app.core.entities import claim_links, linking, registry
    from app.core.ingest.storing import store_articles
    from app.core.ops import labels, span_edits
    from app.core.suggest import service
    from app.core.team import assignment, review
    from app.core.validation import NewArticle
    from app.models import ImportLog

    store = open_store(path)
    try:
        labels.add_label(store, "PLACE", color="#123456", description="A place.")
        store_articles(store, [
            NewArticle(uid="a1", text=TEXT_A, title="Meta stays", url="https://example.org/a1", source_kind="url",
                       source="https://example.org/a1", source_bytes=b"<html>\x00\xffbytes</html>",
                       content_type="text/html", author="Reporter", published="2024-05-01", site_name="Example",
                       language="en", meta={"section": "tech", "tags": ["ai", "é"]}),
            NewArticle(uid="a2", text=TEXT_B, title="Mistral", source_kind="paste"),
            NewArticle(uid="a3", text=TEXT_C, title="Meta stays (copy)", url="https://mirror.example/a1",
                       source_kind="url"),
        ])
        for who in ("ana", "ben"):
            span_edits.add_span(store, 1, 0, 12, "PERSON", annotator=who)
            span_edits.add_span(store, 1, 22, 26, "ORG", annotator=who)
        span_edits.add_span(store, 1, 0, 28, "CLAIM", annotator="ana",
                            attributes={"claimant": "Hugo Touvron", "verdict": "true", "note": "checked"})
        span_edits.add_span(store, 1, 0, 28, "CLAIM", annotator="ben", attributes={"verdict": "false"})
        span_edits.add_span(store, 2, 0, 7, "ORG", annotator="ana", origin="suggested")
        span_edits.add_span(store, 2, 20, 36, "PERSON", annotator="ben", origin="imported")
        span_edits.add_span(store, 2, 51, 56, "PLACE", annotator="ana")
        hugo = int(registry.create_entity(store, "PERSON", "Hugo Touvron", aliases=["H. Touvron"],
                                          external_id="Q123", note="researcher").after["entity"]["id"])
        meta = int(registry.create_entity(store, "ORG", "Meta", aliases=["Facebook", "Meta Platforms"])
                   .after["entity"]["id"])
        gone = int(registry.create_entity(store, "ORG", "Gone Corp").after["entity"]["id"])
        registry.delete_entity(store, gone)  # its id is never given out again, in the copies too
        with store.begin() as conn:
            ids = dict(conn.exec_driver_sql(
                "SELECT span.annotator || ':' || label.name, span.id FROM span JOIN label ON label.id = span.label_id "
                "WHERE span.article_id = 1").all())
        linking.link_spans(store, [ids["ana:PERSON"], ids["ben:PERSON"]], hugo)
        linking.link_spans(store, [ids["ana:ORG"]], meta)
        claim_links.set_claimant(store, ids["ana:CLAIM"], "Hugo Touvron", hugo)
        span_edits.set_status(store, [1], "done", "ana")
        span_edits.set_status(store, [1], "done", "ben")
        span_edits.set_status(store, [2], "in_progress")
        assignment.assign(store, ["ana", "ben"], per_article=2, overlap=0.5, status=None, seed=3)
        review.reject(store, 1, (0, 4, "ORG"), reviewer="rita")
        service.store_suggestions(store, {3: [{"start": 0, "end": 12, "label": "PERSON", "score": 0.8125},
                                              {"start": 22, "end": 26, "label": "ORG", "score": 1 / 3}]})
        service.reject_suggestion(store, 2, 40, 45, "PERSON", annotator="ben")
        with store.begin() as conn:
            conn.execute(insert(ImportLog.__table__), [
                {"batch": "b1", "source": "https://example.org/a1", "outcome": "imported", "reason": "",
                 "article_id": 1, "title": "Meta stays"},
                {"batch": "b1", "source": "https://example.org/x", "outcome": "failed", "reason": "HTTP 404",
                 "article_id": None, "title": None},
            ])
        span_json.fill_missing(store)
    finally:
        store.close()


def _new_database(pg_url: str, name: str) -> str:
    """A new, empty database on the test server: its URL."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()
    return f"{pg_url.rsplit('/', 1)[0]}/{name}"


def _rows(url: str, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the schema, all columns, in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in SQLModel.metadata.sorted_tables if t.name not in skip}
    finally:
        engine.dispose()


def _raw_sqlite(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows as SQLite stores them (timestamps as text), and what the symbol index holds."""
    conn = sqlite3.connect(path)
    try:
        found = {"article_symbols": conn.execute("SELECT rowid, * FROM article_symbols ORDER BY rowid").fetchall()}
        for table in SQLModel.metadata.sorted_tables:
            keys = list(table.primary_key.columns)
            # A table keyed by several columns has a rowid of SQLite's own, in the order rows were written.
            by = "rowid" if len(keys) == 1 else ", ".join(f'"{c.name}"' for c in keys)
            found[table.name] = conn.execute(f"SELECT {'rowid, ' if len(keys) == 1 else ''}* FROM {table.name} "
                                             f"ORDER BY {by}").fetchall()
        return found
    finally:
        conn.close()


def _search(location: str, query: str) -> list[str]:
    from app.core.ops import library

    store = open_store(location)
    try:
        return [r.uid for r in library.search(store, query)]
    finally:
        store.close()


def _new_entity_id(location: str) -> int:
    from app.core.entities import registry

    store = open_store(location)
    try:
        return int(registry.create_entity(store, "PERSON", "Someone New").after["entity"]["id"])
    finally:
        store.close()


def test_sqlite_to_postgresql_and_back_keeps_every_row(pg_url, tmp_path):
    source, back = tmp_path / "source.sqlite", tmp_path / "back.sqlite"
    pg_url = _new_database(pg_url, "round_trip")
    _rich_dataset(source)
    seen = []
    report = copy_dataset(source, pg_url, progress=seen.append)
    assert report.articles == 3 and report.rows["span"] == 9 and report.rows["entity_alias"] == 3
    assert seen[-1].done == seen[-1].total == sum(report.rows.values())
    assert {p.table for p in seen} >= {"article", "span", "import_log", "article_signature", "suggestion"}

    original = _rows(f"sqlite:///{source}")
    assert all(original[t] for t in original), [t for t in original if not original[t]]  # every table has rows
    on_server = _rows(pg_url, skip=(span_json.TABLE,))
    assert on_server == {t: rows for t, rows in original.items() if t != span_json.TABLE}
    assert set(_search(pg_url, "touvron")) == {"a1", "a3"}
    assert _search(pg_url, "lample") == ["a2"]

    copy_dataset(pg_url, back)
    assert _rows(f"sqlite:///{back}") == original  # the span lists too, rebuilt
    assert _raw_sqlite(back) == _raw_sqlite(source)
    assert _search(str(back), "lample") == ["a2"]
    assert set(_search(str(back), "🎉")) == {"a1", "a3"}
    # Ids go on after the highest the source ever gave out (the deleted entity's included).
    assert _new_entity_id(str(back)) == _new_entity_id(str(source)) == _new_entity_id(pg_url) == 4


def test_a_destination_that_holds_data_is_refused_and_left_alone(pg_url, tmp_path):
    from app.core.ops import labels

    source, other = tmp_path / "source.sqlite", tmp_path / "other.sqlite"
    _rich_dataset(source)
    with open_store(other) as store:
        labels.add_label(store, "EVENT")
    before = _rows(f"sqlite:///{other}")
    with pytest.raises(CopyRefused, match=r"already holds a dataset \(4 label rows\).*new file name"):
        copy_dataset(source, other)
    assert _rows(f"sqlite:///{other}") == before
    with pytest.raises(CopyRefused, match="already holds a dataset"):
        copy_dataset(other, source)
    server = _new_database(pg_url, "not_empty")
    copy_dataset(source, server)
    with_password = server.replace("postgres@", "postgres:s3cret@")
    with pytest.raises(CopyRefused, match=r"already holds a dataset \(3 article rows") as refused:
        copy_dataset(other, with_password)
    assert "s3cret" not in str(refused.value) and "not_empty already holds a dataset" in str(refused.value)
    with pytest.raises(CopyRefused, match="same dataset"):
        copy_dataset(source, str(source))
    with pytest.raises(CopyRefused, match="no dataset at"):
        copy_dataset(tmp_path / "missing.sqlite", tmp_path / "new.sqlite")
    assert not (tmp_path / "missing.sqlite").exists() and not (tmp_path / "new.sqlite").exists()


def test_a_cancelled_copy_leaves_no_destination(tmp_path):
    source, dest = tmp_path / "source.sqlite", tmp_path / "dest.sqlite"
    _rich_dataset(source)
    cancel = CancelToken()

    def stop_at_spans(progress):  # type: ignore[no-untyped-def]
        if progress.table == "span":
            cancel.cancel()

    with pytest.raises(Cancelled):
        copy_dataset(source, dest, progress=stop_at_spans, cancel=cancel)
    assert not dest.exists()
    copy_dataset(source, dest)
    assert _raw_sqlite(dest) == _raw_sqlite(source)


def test_the_copy_sees_the_source_as_of_one_moment(tmp_path):
    from app.core.ingest.storing import store_articles
    from app.core.ops import span_edits
    from app.core.validation import NewArticle

    source, dest = tmp_path / "source.sqlite", tmp_path / "dest.sqlite"
    _rich_dataset(source)
    before = _raw_sqlite(source)
    writer = open_store(source)

    def write_meanwhile(progress):  # type: ignore[no-untyped-def]
        if progress.table == "span" and progress.table_done == 0:  # the articles are copied by now
            [stored] = store_articles(writer, [NewArticle(text="Written during the copy.", source_kind="paste")])
            span_edits.add_span(writer, stored.article_id, 0, 7, "ORG", annotator="cho")

    try:
        report = copy_dataset(source, dest, progress=write_meanwhile)
    finally:
        writer.close()
    assert report.articles == 3 and report.rows["span"] == 9
    assert _raw_sqlite(dest) == before


def test_the_command_copies_with_progress_and_refuses_a_full_destination(tmp_path, capsys):
    from app.cli import main

    source, dest = tmp_path / "source.sqlite", tmp_path / "dest.sqlite"
    _rich_dataset(source)
    assert main(["copy", str(source), str(dest)]) == 0
    out, err = capsys.readouterr()
    assert "Copied 3 articles" in out and str(dest) in out
    assert "Copying" in err
    assert _raw_sqlite(dest) == _raw_sqlite(source)
    assert main(["copy", str(source), str(dest)]) == 2
    assert "already holds a dataset" in capsys.readouterr().err
