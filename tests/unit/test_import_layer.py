"""``import --annotator NAME``: a file's spans become NAME's layer, also in the articles the dataset already
holds; and every import records the own status of its spans' annotators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.core.ingest.importer import ImportOptions, import_sources

BODY = "Hugo Touvron stays at Meta. Mistral was founded in Paris by Guillaume Lample."


def _file(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _span(start: int, end: int, label: str, who: str = "") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, "text": BODY[start:end], "annotator": who}


def _spans(store: Any) -> list[tuple[int, int, str, str]]:
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text(  # type: ignore[misc]
            'SELECT s.start, s."end", l.name, s.annotator FROM span s JOIN label l ON l.id = s.label_id '
            "ORDER BY s.annotator, s.start"))]


def _own(store: Any) -> list[tuple[str, str]]:
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text(  # type: ignore[misc]
            "SELECT annotator, status FROM article_status ORDER BY annotator"))]


def _import(store: Any, path: Path, layer: str = "") -> Any:
    return import_sources(store, [path], ImportOptions(layer=layer, annotator=layer))


def test_a_second_annotators_copy_adds_their_layer_once(store: Any, tmp_path: Path) -> None:
    ana = _file(tmp_path / "ana.jsonl", [{"text": BODY, "status": "done",
                                          "spans": [_span(0, 12, "PERSON", "someone"), _span(22, 26, "ORG")]}])
    ben = _file(tmp_path / "ben.jsonl", [{"text": BODY, "status": "in_progress",
                                          "spans": [_span(0, 12, "PERSON"), _span(28, 35, "ORG", "ana")]}])
    assert _import(store, ana, "ana").imported == 1
    report = _import(store, ben, "ben")
    assert (report.imported, report.duplicates, report.spans_added) == (0, 1, (2, 1))
    assert "Added 2 of ben's spans to it." in report.outcomes[0].reason
    again = _import(store, ben, "ben")
    assert again.spans_added == (0, 0) and "It already had ben's spans." in again.outcomes[0].reason
    assert _spans(store) == [(0, 12, "PERSON", "ana"), (22, 26, "ORG", "ana"),
                             (0, 12, "PERSON", "ben"), (28, 35, "ORG", "ben")]
    assert _own(store) == [("ana", "done"), ("ben", "in_progress")]  # each record's status, as its annotator's


def test_without_a_status_an_annotators_labelled_article_is_done(store: Any, tmp_path: Path) -> None:
    _import(store, _file(tmp_path / "a.jsonl", [{"text": BODY, "spans": [_span(0, 12, "PERSON")]},
                                                 {"text": "Nothing labelled here."}]), "cho")
    assert _own(store) == [("cho", "done")]


def test_spans_whose_text_the_stored_article_lacks_are_not_added(store: Any, tmp_path: Path) -> None:
    url = "https://example.org/story"
    _import(store, _file(tmp_path / "a.jsonl", [{"text": BODY, "url": url, "spans": [_span(0, 12, "PERSON")]}]),
            "ana")
    edited = "Dr " + BODY  # the same address, a text edited since: offsets moved
    span = {"start": 3, "end": 15, "label": "PERSON", "text": edited[3:15]}
    keeps = {"start": 0, "end": 2, "label": "ORG", "text": "Dr"}  # "Hu" in the stored text: not the same
    report = _import(store, _file(tmp_path / "b.jsonl", [{"text": edited, "url": url, "spans": [span, keeps]}]),
                     "ben")
    assert report.spans_added == (0, 0)
    assert "2 spans were not added: the stored text differs from the file's there." in report.outcomes[0].reason
    assert [who for *_, who in _spans(store)] == ["ana"]


def test_without_annotator_a_duplicate_is_skipped_as_before(store: Any, tmp_path: Path) -> None:
    path = _file(tmp_path / "a.jsonl", [{"text": BODY, "spans": [_span(0, 12, "PERSON", "ana")]}])
    _import(store, path)
    report = _import(store, _file(tmp_path / "b.jsonl", [{"text": BODY, "spans": [_span(22, 26, "ORG", "ben")]}]))
    assert (report.duplicates, report.spans_added) == (1, (0, 0))
    assert _spans(store) == [(0, 12, "PERSON", "ana")]


def test_an_exports_annotators_keep_what_they_finished(store: Any, tmp_path: Path) -> None:
    path = _file(tmp_path / "export.jsonl", [
        {"text": BODY, "status": "done", "spans": [_span(0, 12, "PERSON", "ana"), _span(22, 26, "ORG", "ben")]},
        {"text": "Paris is in France, said Guillaume Lample.", "status": "new",
         "spans": [{"start": 0, "end": 5, "label": "LOC", "annotator": "ana"}]},
    ])
    report = _import(store, path)
    assert report.imported == 2
    assert _own(store) == [("ana", "done"), ("ben", "done")]  # the new article is new for ana: no row


def test_the_dry_run_counts_every_span_as_the_annotators(store: Any, tmp_path: Path, capsys: Any) -> None:
    from app.cli import main

    _import(store, _file(tmp_path / "a.jsonl", [{"text": BODY, "spans": [_span(0, 12, "PERSON", "ana")]}]), "ana")
    path = _file(tmp_path / "b.jsonl", [{"text": BODY, "spans": [_span(0, 12, "PERSON", "x"), _span(22, 26, "ORG")]}])
    assert main(["import", "--dry-run", "--annotator", "ben", str(path), "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "of which 1 already in the dataset (would be duplicates; ben's spans would be added to them)" in out
    assert "Layers (annotator: spans):\n  ben: 2\n" in out
