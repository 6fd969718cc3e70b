"""Each annotator's file imported as their layer, and agreement computed, on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_agreement import EXPECTED_ALPHA, EXPECTED_PAIRS, _native_file

pytest.importorskip("psycopg")


def test_layers_imported_and_agreement_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    from app.core.db.store import open_store
    from app.core.ingest.importer import ImportOptions, import_sources
    from app.core.team import agreement

    store = open_store(pg_url)
    try:
        for who, status_field in (("ana", True), ("ben", True), ("cho", False)):
            path = _native_file(tmp_path / f"{who}.jsonl", who, status_field)
            report = import_sources(store, [path], ImportOptions(annotator=who, layer=who))
            assert not report.failures
        again = import_sources(store, [tmp_path / "ben.jsonl"], ImportOptions(annotator="ben", layer="ben"))
        assert again.spans_added == (0, 0)  # not doubled
        figures = agreement.compute(store)
        for (a, b), (shared, labels) in EXPECTED_PAIRS.items():
            pair = figures.pair(a, b)
            assert pair is not None and pair.shared == shared
            for label, expected in labels.items():
                assert tuple(pair.figure(m, label) for m in agreement.MEASURES) == pytest.approx(expected)
        assert figures.alpha == pytest.approx(EXPECTED_ALPHA)
    finally:
        store.close()
