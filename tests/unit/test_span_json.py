"""The ready-made span lists the native export copies (app/core/db/span_json.py): never stale.

Every test compares an export that uses them with one that reads the span rows
(the lists deleted first), so any difference in what they hold shows up as a
difference in bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.db import span_json
from app.core.db.store import Store, open_store
from app.core.export.exporter import ExportError, ExportOptions, export_jsonl
from app.core.ops import labels, span_edits
from tests.unit.test_export import dataset, sample_article  # noqa: F401 - fixture
from tests.unit.test_migrations import _create_at_first_revision


def cached_ids(store: Store) -> set[int]:
    with store.begin() as conn:
        return {r[0] for r in conn.execute(text(f"SELECT article_id FROM {span_json.TABLE}"))}


def span_ids(store: Store) -> set[int]:
    with store.begin() as conn:
        return {r[0] for r in conn.execute(text("SELECT DISTINCT article_id FROM span"))}


def export_both_ways(store: Store, folder: Path, options: ExportOptions = ExportOptions()) -> tuple[bytes, bytes]:
    """(export using the cached lists, export from span rows only); the cache is rebuilt after."""
    with_cache = folder / "cached.jsonl"
    summary_cached = export_jsonl(store, with_cache, options)
    with store.begin() as conn:
        conn.execute(text(f"DELETE FROM {span_json.TABLE}"))
    from_rows = folder / "rows.jsonl"
    summary_rows = export_jsonl(store, from_rows, options)
    assert summary_cached.spans_per_label == summary_rows.spans_per_label
    span_json.fill_missing(store)
    return with_cache.read_bytes(), from_rows.read_bytes()


def test_imported_articles_with_spans_get_their_list(dataset: Store) -> None:  # noqa: F811
    assert cached_ids(dataset) == span_ids(dataset) and len(span_ids(dataset)) == 3


def test_exports_are_identical_with_and_without_the_lists(dataset: Store, tmp_path: Path) -> None:  # noqa: F811
    for options in (ExportOptions(), ExportOptions(statuses=("done", "skipped")),
                    ExportOptions(split=(0.5, 0.25, 0.25), seed=3)):
        cached, rows = export_both_ways(dataset, tmp_path, options)
        assert cached == rows and cached.count(b"\n") >= 2


def test_a_labelled_jsonl_import_writes_the_lists_the_span_rows_give(store: Store, tmp_path: Path) -> None:
    # The import writes each new article's list from the rows it inserts, without reading them back.
    import orjson

    from app.core.ingest.importer import import_sources

    body = "Zoë Müller said the “Café Union” strike ends; Hugo Touvron stays at Meta."
    source = tmp_path / "labelled.jsonl"
    source.write_bytes(b"".join(orjson.dumps({
        "title": f"Strike {n}", "text": f"{body} Day {n}.",
        "spans": [{"start": 0, "end": 10, "label": "person", "annotator": "ana", "entity_id": 3},
                  {"start": 21, "end": 31, "label": "NEWLABEL", "attributes": {"b": 1, "a": [2]}},
                  {"start": 0, "end": 43, "label": "CLAIM", "attributes": {"claimant": "Zoë Müller"}}],
    }) + b"\n" for n in range(5)))
    report = import_sources(store, [source])
    assert report.imported == 5
    assert cached_ids(store) == span_ids(store) and len(cached_ids(store)) == 5
    cached, rows = export_both_ways(store, tmp_path)
    assert cached == rows and b'"label":"PERSON"' in cached and b'"label":"NEWLABEL"' in cached


def test_every_edit_keeps_the_lists_current(dataset: Store, tmp_path: Path) -> None:  # noqa: F811
    with dataset.begin() as conn:
        art_id, body = conn.execute(text("SELECT id, text FROM article WHERE title = 'Unlabelled'")).one()
    start = body.index("note")
    added = span_edits.add_span(dataset, art_id, start, start + 4, "ORG", annotator="erin")
    assert art_id not in cached_ids(dataset)  # dropped by the edit, rebuilt later
    span_json.refresh_articles(dataset, [art_id])
    assert art_id in cached_ids(dataset)
    span_edits.update_span(dataset, added.span_id, label="CLAIM")
    span_edits.update_span(dataset, added.span_id, attributes={"claimant": "Erin", "verdict": "false", "note": "é"})
    with dataset.begin() as conn:
        other, other_article = conn.execute(
            text("SELECT id, article_id FROM span WHERE annotator = 'bob' ORDER BY id LIMIT 1")).one()
    span_edits.remove_span(dataset, other)
    assert not {art_id, other_article} & cached_ids(dataset)
    span_json.refresh_articles(dataset, [art_id, other_article])
    assert {art_id, other_article} <= cached_ids(dataset)  # rebuilt, so the export copies them
    cached, rows = export_both_ways(dataset, tmp_path)
    assert cached == rows
    assert b'"annotator":"erin","attributes":{"claimant":"Erin","note":"\xc3\xa9","verdict":"false"}' in cached
    # Removing an article's last span leaves it with an empty list, not a stale one.
    span_edits.remove_span(dataset, added.span_id)
    cached, rows = export_both_ways(dataset, tmp_path)
    assert cached == rows


def test_the_comparison_sees_a_stale_list(dataset: Store, tmp_path: Path) -> None:  # noqa: F811
    """What the triggers prevent: a list that no longer says what the span rows say."""
    with dataset.begin() as conn:
        conn.execute(text(f"UPDATE {span_json.TABLE} SET spans = '[]'"))
    cached, rows = export_both_ways(dataset, tmp_path)
    assert cached != rows


def test_lists_in_another_layout_are_ignored(dataset: Store, tmp_path: Path) -> None:  # noqa: F811
    """Rows written by a version whose lists had another layout count as missing."""
    with dataset.begin() as conn:
        conn.execute(text(f"UPDATE {span_json.TABLE} SET spans = '[]', format = :old"),
                     {"old": span_json.FORMAT - 1})
    out = tmp_path / "old-rows.jsonl"
    export_jsonl(dataset, out)
    cached, rows = export_both_ways(dataset, tmp_path)
    assert out.read_bytes() == rows == cached


def test_renaming_a_label_drops_the_lists_that_name_it(dataset: Store, tmp_path: Path) -> None:  # noqa: F811
    org = next(lb for lb in labels.list_labels(dataset) if lb.name == "ORG")
    before = cached_ids(dataset)
    labels.update_label(dataset, org.id, name="ORGANISATION")
    assert cached_ids(dataset) < before  # articles with an ORG span lost theirs
    out = tmp_path / "renamed.jsonl"
    export_jsonl(dataset, out)
    assert b'"label":"ORGANISATION"' in out.read_bytes() and b'"label":"ORG"' not in out.read_bytes()


def test_changes_outside_the_gateway_drop_the_list_and_the_check_still_runs(
    dataset: Store, tmp_path: Path  # noqa: F811
) -> None:
    with dataset.begin() as conn:
        conn.execute(text("UPDATE span SET text = 'Hugo Touvrom' WHERE text = 'Hugo Touvron' AND annotator = 'bob'"))
    with pytest.raises(ExportError, match="Hugo Touvrom"):
        export_jsonl(dataset, tmp_path / "x.jsonl")
    # Another edit of that article rebuilds its list, which refuses to hold the mismatch.
    with dataset.begin() as conn:
        art_id = conn.execute(text("SELECT article_id FROM span WHERE text = 'Hugo Touvrom'")).scalar_one()
    span_edits.add_span(dataset, art_id, 0, 4, "ORG", annotator="erin")
    span_json.refresh_articles(dataset, [art_id])
    assert art_id not in cached_ids(dataset)
    with pytest.raises(ExportError, match="Hugo Touvrom"):
        export_jsonl(dataset, tmp_path / "x.jsonl")


def test_a_changed_article_text_drops_its_list(dataset: Store) -> None:  # noqa: F811
    with dataset.begin() as conn:
        art_id = conn.execute(text("SELECT article_id FROM span LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE article SET text = text || ' ' WHERE id = :i"), {"i": art_id})
    assert art_id not in cached_ids(dataset)


def test_deleting_articles_deletes_their_lists(dataset: Store) -> None:  # noqa: F811
    ids = sorted(cached_ids(dataset))
    span_edits.delete_articles(dataset, ids[:1])
    assert cached_ids(dataset) == set(ids[1:])


def test_an_upgraded_dataset_gets_its_lists_in_the_background(db_path: Path, tmp_path: Path) -> None:
    _create_at_first_revision(db_path)
    with open_store(db_path) as store:
        assert cached_ids(store) == set()  # the upgrade itself stays quick
        from_rows = tmp_path / "before.jsonl"
        export_jsonl(store, from_rows)
        assert span_json.fill_missing(store, chunk=1) == 2
        assert cached_ids(store) == span_ids(store) == {1, 2}
        assert span_json.fill_missing(store) == 0
        cached, rows = export_both_ways(store, tmp_path)
        assert cached == rows == from_rows.read_bytes()


def test_filling_stops_when_cancelled_and_skips_what_cannot_be_cached(dataset: Store) -> None:  # noqa: F811
    from app.core.cancel import CancelToken

    with dataset.begin() as conn:
        conn.execute(text(f"DELETE FROM {span_json.TABLE}"))
        conn.execute(text("UPDATE span SET text = 'Hugo Touvrom' WHERE text = 'Hugo Touvron' AND annotator = 'bob'"))
    token = CancelToken()
    token.cancel()
    assert span_json.fill_missing(dataset, token) == 0 and cached_ids(dataset) == set()
    # Every labelled article is visited once; the inconsistent one stays uncached.
    assert span_json.fill_missing(dataset, chunk=1) == 3
    assert len(cached_ids(dataset)) == 2
