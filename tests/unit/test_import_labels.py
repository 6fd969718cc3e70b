"""Label names from imports: matched to the dataset's labels in any case; a new label is reported, never silent."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.ingest import importer
from app.core.ingest.importer import import_sources
from tests.unit.test_cli import run_cli

TEXT = "Hugo Touvron left Meta for Mistral in Paris."


def span(start: int, end: int, label: str) -> dict[str, object]:
    return {"start": start, "end": end, "label": label}


def write_records(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return path


def records() -> list[dict[str, object]]:
    """Six articles whose spans spell PERSON and ORG in other cases, and a label the dataset lacks."""
    out = []
    for n in range(6):
        body = f"{TEXT} Story {n}."
        out.append({"text": body, "spans": [
            span(0, 12, ["person", "Person", "PERSON"][n % 3]),
            span(18, 22, "org"),
            span(39, 44, "LOCATION" if n < 5 else "location"),
        ]})
    return out


def label_names(store: Store) -> list[str]:
    with store.begin() as conn:
        return [r[0] for r in conn.execute(text("SELECT name FROM label ORDER BY position"))]


def spans_per_label(store: Store) -> dict[str, int]:
    with store.begin() as conn:
        return dict(conn.execute(text(
            "SELECT label.name, count(*) FROM span JOIN label ON label.id = span.label_id GROUP BY label.name")).all())


def test_labels_match_in_any_case_and_a_new_one_is_reported(store: Store, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "STORE_BATCH", 2)  # several batches: the count spans all of them
    monkeypatch.setattr(importer, "MAX_STORE_BATCH", 2)
    path = write_records(tmp_path / "spans.jsonl", records())

    report = import_sources(store, [path])

    assert report.imported == 6 and not report.failures
    assert label_names(store) == ["PERSON", "ORG", "CLAIM", "LOCATION"]
    assert spans_per_label(store) == {"PERSON": 6, "ORG": 6, "LOCATION": 6}
    assert report.created_labels == {"LOCATION": 6}
    assert report.label_notes() == ["Created label LOCATION for 6 spans (the dataset had no label of that name)."]


def test_a_second_import_creates_nothing(store: Store, tmp_path: Path) -> None:
    import_sources(store, [write_records(tmp_path / "first.jsonl", records()[:1])])
    report = import_sources(store, [write_records(tmp_path / "second.jsonl",
                                                  [{"text": "Location, location.", "spans": [span(0, 8, "location")]}])])
    assert report.imported == 1 and report.created_labels == {} and report.label_notes() == []
    assert label_names(store) == ["PERSON", "ORG", "CLAIM", "LOCATION"]


def test_one_span_spelt_two_ways_is_one_span(store: Store, tmp_path: Path) -> None:
    path = write_records(tmp_path / "twice.jsonl", [{"text": TEXT, "spans": [span(0, 12, "PERSON"), span(0, 12, "person")]}])
    report = import_sources(store, [path])
    assert report.imported == 1 and not report.failures
    assert spans_per_label(store) == {"PERSON": 1}


@pytest.mark.slow
def test_cli_summary_names_the_created_label(tmp_path: Path, isolated_home: Path) -> None:
    path = write_records(tmp_path / "spans.jsonl", records())
    result = run_cli("import", str(path), "--db", str(tmp_path / "cli.sqlite"), home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Created label LOCATION for 6 spans (the dataset had no label of that name)." in result.stdout
    assert result.stdout.count("Created label") == 1  # person and org matched PERSON and ORG
