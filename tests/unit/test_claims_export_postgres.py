"""Claim exports, entity ids and their import against a real PostgreSQL server, when one is installed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.unit.test_claims_export import ENTITIES, Vocabulary, _lines, fill

pytest.importorskip("psycopg")

SCHEMAORG = Path(__file__).parents[1] / "data" / "schemaorg" / "claimreview-types.jsonld"


def test_claims_entities_and_their_import_on_postgresql(pg_url, tmp_path, empty_dataset):  # type: ignore[no-untyped-def]
    from app.core.db.store import open_store
    from app.core.export.exporter import ExportOptions, export_jsonl
    from app.core.ingest.importer import ImportOptions, import_sources

    store = open_store(pg_url)
    try:
        fill(store)
        native = tmp_path / "native.jsonl"
        export_jsonl(store, native, ExportOptions(format="native"))
        assert _lines(tmp_path / "native.entities.jsonl") == ENTITIES
        export_jsonl(store, tmp_path / "claims.jsonl", ExportOptions(format="claims"))
        assert [(c["claimant"], c["claimant_id"]) for c in _lines(tmp_path / "claims.jsonl")] == [
            ("Meta", 2), ("Martinet", 3), ("Ana Lopez", None), (None, None)]
        export_jsonl(store, tmp_path / "reviews.json", ExportOptions(format="claimreview"))
        reviews = json.loads((tmp_path / "reviews.json").read_text(encoding="utf-8"))
        vocabulary = Vocabulary(SCHEMAORG)
        assert len(reviews) == 3 and all(vocabulary.check(r) == [] for r in reviews)

        # Into a new SQLite dataset and out again: the same lines.
        copy = tmp_path / "copy.sqlite"
        shutil.copyfile(empty_dataset, copy)
        sqlite = open_store(copy)
        try:
            report = import_sources(sqlite, [str(native)], ImportOptions(workers=1))
            assert report.imported == 2 and not report.failures
            again = tmp_path / "again" / "native.jsonl"
            again.parent.mkdir()
            export_jsonl(sqlite, again, ExportOptions(format="native"))
            assert again.read_bytes() == native.read_bytes()
        finally:
            sqlite.close()

        # An entity made on PostgreSQL gets the server's next id, never the file's.
        (tmp_path / "new").mkdir()
        data = tmp_path / "new" / "x.jsonl"
        data.write_text(json.dumps({"text": "Ana Lopez spoke.", "spans": [
            {"start": 0, "end": 9, "label": "PERSON", "entity_id": 1}]}) + "\n", encoding="utf-8")
        (tmp_path / "new" / "x.entities.jsonl").write_text(json.dumps(
            {"id": 1, "kind": "PERSON", "name": "Ana Lopez", "aliases": [], "external_id": "", "note": ""}) + "\n",
            encoding="utf-8")
        report = import_sources(store, [str(data)], ImportOptions(workers=1))
        assert report.label_notes() == ["Created 1 entity of x.entities.jsonl: PERSON Ana Lopez (#4)."]
    finally:
        store.close()
