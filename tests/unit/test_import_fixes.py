"""Importing other tools' files: plain text is not taken for CoNLL, malformed files fail one by one with a
sentence, export folders import their data only, large Label Studio exports are read, the dry run writes nothing,
and every span left out is counted."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.core.export.exporter import ExportOptions, export_jsonl
from app.core.ingest import formats
from app.core.ingest.formats import conll, labelstudio
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.ingest.preview import preview_sources
from tests.unit.test_cli import run_cli
from tests.unit.test_import_tools import DATA, LS_EXPORT, stored_spans

STORM = "Storm hits Florida, closes I-95\n\nOfficials urged drivers to avoid the U-turn\n"


def articles(store: Any) -> list[tuple[str, str]]:
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT title, text FROM article ORDER BY id"))]


# -- 1, 2: CoNLL only on strong evidence, tags checked ------------------------------------------------

def test_short_lines_ending_in_tag_like_words_are_not_conll(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Check your E-mail\nMake a U-turn\nAvoid the I-95\n\nSee the B-52\n", encoding="utf-8")
    assert formats.sniff(path) is None


@pytest.mark.parametrize("name", ["storm.txt", "storm.tsv"])
def test_plain_text_with_tag_like_words_is_not_taken_for_conll(store: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(STORM, encoding="utf-8")
    assert formats.sniff(path) is None
    if name.endswith(".txt"):
        report = import_sources(store, [path])
        assert report.imported == 1
        assert articles(store) == [("Storm hits Florida, closes I-95", "Officials urged drivers to avoid the U-turn")]
        assert stored_spans(store) == []


def test_a_short_tagged_text_file_is_still_conll(tmp_path: Path) -> None:
    path = tmp_path / "ner.txt"
    path.write_text("Ana B-PER\nRuiz I-PER\nsaid O\nhello O\n\nMadrid B-LOC\nwon O\n", encoding="utf-8")
    assert formats.sniff(path) == "conll"
    named = tmp_path / "two.conll"  # the name says CoNLL: a short file is one too
    named.write_text("Ana B-PER\nRuiz I-PER\n", encoding="utf-8")
    assert formats.sniff(named) == "conll"


def test_invalid_conll_tags_are_refused_span_by_span(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "c1.conll"
    path.write_text("Ana B-PER\nRuiz I-PER\nsaid O\nfoo B\nbar NN\nin O\nMadrid B-LOC\nyesterday O\n",
                    encoding="utf-8")
    report = import_sources(store, [path], ImportOptions(source_format="conll"))
    assert report.imported == 1 and not report.failures
    assert [(t, label) for _b, _s, _e, t, label, *_ in stored_spans(store)] == [("Ana Ruiz", "PER"),
                                                                                ("Madrid", "LOC")]
    assert report.tally.counts[("refused", conll.REFUSED_TAG)] == 2


def test_a_document_of_pos_tags_read_as_conll_fails_with_a_reason(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "pos.conll"
    path.write_text("Ana NNP\nRuiz NNP\nsaid VBD\nhello UH\n", encoding="utf-8")
    report = import_sources(store, [path], ImportOptions(source_format="conll"))
    assert report.imported == 0 and len(report.failures) == 1
    assert "not O, B-, I-" in report.failures[0].reason and "--from" in report.failures[0].reason
    assert report.tally.counts[("refused", conll.REFUSED_TAG)] == 4


# -- 3: malformed files fail item by item, the batch goes on ------------------------------------------

HOSTILE = {
    "ls_unhash.json": '[{"id": [1], "text": "Ana Ruiz", "label": [{"start":0,"end":3,"text":"Ana",'
                      '"labels":["PERSON"]}]}]',
    "prod_hash_list.jsonl": '{"text":"Bo Diaz","spans":[],"_input_hash":[1]}\n',
    "prod_spans_int.jsonl": '{"text":"Cy Lee","spans":5,"_input_hash":1}\n',
}


def hostile_files(tmp_path: Path) -> list[str]:
    for name, body in HOSTILE.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    (tmp_path / "later.txt").write_text("A later article\n\nIt is read all the same.", encoding="utf-8")
    return [str(tmp_path / n) for n in [*HOSTILE, "later.txt"]]


def test_malformed_tool_files_do_not_stop_the_import(store: Any, tmp_path: Path) -> None:
    report = import_sources(store, hostile_files(tmp_path))
    assert report.imported == 4 and not report.failures  # each file's document, and the later one
    counts = report.tally.counts
    assert counts[("refused", "spans that are not a list")] == 1


def test_a_reader_that_breaks_fails_its_file_with_a_sentence(store: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> Any:
        raise TypeError("unhashable type: 'list'")
        yield

    monkeypatch.setattr(labelstudio, "read", broken)
    sources = [str(LS_EXPORT), *hostile_files(tmp_path)[-1:]]
    report = import_sources(store, sources)
    assert report.imported == 1
    assert [f.source for f in report.failures] == [str(LS_EXPORT)]
    reason = report.failures[0].reason
    assert "could not be read as labelstudio" in reason and "report" in reason
    preview = preview_sources(store, sources)
    assert preview.documents == 1 and "could not be read as labelstudio" in preview.failures[0]


def test_malformed_tool_files_on_the_command_line(db_path: Path, isolated_home: Path, empty_dataset: Path,
                                                  tmp_path: Path) -> None:
    shutil.copyfile(empty_dataset, db_path)
    sources = hostile_files(tmp_path)
    for dry in ([], ["--dry-run"]):
        result = run_cli("import", *dry, "--db", str(db_path), *sources, home=isolated_home)
        assert "Traceback" not in result.stderr and result.returncode == 0, result.stdout + result.stderr


# -- 4: an export's folder brings its articles, not its card and manifest ----------------------------

@pytest.mark.parametrize("fmt", ["native", "hf"])
def test_an_export_folder_imports_its_data_only(store: Any, tmp_path: Path, empty_dataset: Path, fmt: str) -> None:
    from app.core.db.store import open_store

    import_sources(store, [LS_EXPORT])
    folder = tmp_path / "export"
    folder.mkdir()
    export_jsonl(store, folder / "out.jsonl", ExportOptions(format=fmt))
    assert (folder / "out.manifest.json").is_file() and (folder / "out.README.md").is_file()
    other = tmp_path / "other.sqlite"
    shutil.copyfile(empty_dataset, other)
    with open_store(other) as again:
        preview = preview_sources(again, [str(folder)])
        report = import_sources(again, [folder])
    skipped = [s for s in report.skipped if "manifest" in s or "README" in s or "labels.json" in s]
    assert len(skipped) == (3 if fmt == "hf" else 2), report.skipped
    assert preview.skipped == skipped  # the entities file goes unmentioned in a dry run, as before
    if fmt == "native":
        assert not preview.failures and not report.failures, [f.reason for f in report.failures]
        assert report.imported == 1 and preview.documents == 1
    else:  # token rows, not articles: they fail as such, while the card, manifest and tag list are left out
        assert all("out.jsonl" in f.source for f in report.failures), [f.source for f in report.failures]
        (folder / "out.manifest.json").unlink()  # the tag list is still known by the data beside it
        with open_store(other) as again:
            report = import_sources(again, [folder])
        assert not [f for f in report.failures if "labels.json" in f.source]


# -- 5: Label Studio exports larger than what the sniff reads ------------------------------------------

def test_a_label_studio_export_larger_than_the_sniff_is_read(store: Any, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    shutil.copy(LS_EXPORT, path)
    monkeypatch.setattr(labelstudio, "_MAX_SNIFF_BYTES", 200)
    assert path.stat().st_size > 200
    assert formats.sniff(path) == "labelstudio"
    report = import_sources(store, [path])
    assert report.imported == 1 and not report.failures


def test_a_label_studio_file_over_the_limit_fails_with_a_sentence(store: Any, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    shutil.copy(LS_EXPORT, path)
    monkeypatch.setattr(labelstudio, "MAX_FILE_BYTES", 100)
    report = import_sources(store, [path], ImportOptions(source_format="labelstudio"))
    assert "too large" in report.failures[0].reason


# -- 6: the dry run writes nothing ----------------------------------------------------------------------

def test_a_dry_run_does_not_create_a_missing_dataset(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "missing.sqlite"
    result = run_cli("import", "--dry-run", "--db", str(db), str(LS_EXPORT), home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not db.exists() and not list(tmp_path.glob("missing.sqlite*"))
    assert "does not exist" in result.stdout and "Would import 1 document" in result.stdout


def test_a_dry_run_does_not_upgrade_an_old_dataset(db_path: Path, isolated_home: Path) -> None:
    from tests.unit.test_migrations import _create_at_first_revision

    _create_at_first_revision(db_path)

    def files() -> dict[str, str]:
        # SQLite's shared-memory index and empty log, made by any reader of a dataset in WAL mode, hold no data.
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in db_path.parent.iterdir()
                if not p.name.endswith(("-shm", "-wal")) or p.stat().st_size > 0 and p.name.endswith("-wal")}

    before = files()
    result = run_cli("import", "--dry-run", "--db", str(db_path), str(LS_EXPORT), home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert files() == before  # no upgrade, and no copy made before one
    assert "Would import 1 document" in result.stdout


# -- 9: nothing found is said -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,name", [("conll", "empty.conll"), ("prodigy", "empty.jsonl"),
                                      ("brat", "emptydir"), ("labelstudio", "emptydir")])
def test_nothing_found_is_a_failure(store: Any, tmp_path: Path, fmt: str, name: str) -> None:
    path = tmp_path / name
    if name == "emptydir":
        path.mkdir()
    else:
        path.write_text("\n", encoding="utf-8")
    report = import_sources(store, [path], ImportOptions(source_format=fmt))
    said = f"No {fmt} documents found in {path}: check that it is what the tool wrote"
    assert [f.reason.startswith(said) for f in report.failures] == [True]
    assert [f.startswith(f"{path}: {said}") for f in preview_sources(store, [str(path)], fmt).failures] == [True]


@pytest.mark.parametrize("fmt", ["conll", "prodigy"])
def test_a_folder_of_single_file_formats_is_read_file_by_file(store: Any, tmp_path: Path, fmt: str) -> None:
    sample = {"conll": DATA / "conll" / "trivial_bio.txt", "prodigy": DATA / "prodigy" / "news_headlines_ner.jsonl"}
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sample[fmt], folder / sample[fmt].name)
    report = import_sources(store, [folder], ImportOptions(source_format=fmt))
    assert not report.failures, [f.reason for f in report.failures]
    assert report.imported == {"conll": 1, "prodigy": 12}[fmt]


# -- 10: spans of rows with another text, predictions of duplicates ---------------------------------

def test_spans_of_a_row_with_another_text_are_counted(store: Any, tmp_path: Path) -> None:
    rows = [{"id": 1, "text": "Ana Ruiz", "label": [{"start": 0, "end": 3, "text": "Ana", "labels": ["PER"]}]},
            {"id": 1, "text": "Bo Diaz", "label": [{"start": 0, "end": 2, "text": "Bo", "labels": ["PER"]},
                                                   {"start": 3, "end": 7, "text": "Diaz", "labels": ["PER"]}]}]
    (tmp_path / "min.json").write_text(json.dumps(rows), encoding="utf-8")
    examples = [{"text": "Ana Ruiz", "_input_hash": 3, "spans": [{"start": 0, "end": 3, "label": "PER"}]},
                {"text": "Ana Ruiz!", "_input_hash": 3, "spans": [{"start": 0, "end": 3, "label": "PER"}]}]
    (tmp_path / "p.jsonl").write_text("\n".join(map(json.dumps, examples)), encoding="utf-8")
    report = import_sources(store, [tmp_path / "min.json", tmp_path / "p.jsonl"])
    counts = report.tally.counts
    assert counts[("refused", "a span of a row of the same task with another text")] == 2
    assert counts[("refused", "a span of an example of the same input with another text")] == 1


def test_predictions_of_a_duplicate_article_are_counted(store: Any) -> None:
    import_sources(store, [LS_EXPORT])
    report = import_sources(store, [LS_EXPORT])
    assert report.duplicates == 1 and report.suggestions == 0
    assert report.tally.counts[("skipped", "a prediction of an article the dataset already holds")] == 1


# -- 12: labels created by suggestions are reported -------------------------------------------------

def test_labels_created_by_suggestions_are_reported(store: Any, tmp_path: Path) -> None:
    task = {"data": {"text": "Ana Ruiz flew to Oslo."}, "annotations": [],
            "predictions": [{"model_version": "m1", "result": [
                {"type": "labels", "value": {"start": 17, "end": 21, "text": "Oslo", "labels": ["CITY"]}}]}]}
    (tmp_path / "t.json").write_text(json.dumps([task]), encoding="utf-8")
    report = import_sources(store, [tmp_path / "t.json"])
    assert report.suggestions == 1
    assert "CITY" in report.created_labels
    assert "Created label CITY for 1 suggestion (the dataset" in " ".join(report.label_notes())
    assert report.label_changes


# -- 13: the Label Studio export keeps author, site and language --------------------------------------

def test_label_studio_export_round_trips_author_site_and_language(store: Any, tmp_path: Path,
                                                                   empty_dataset: Path) -> None:
    from app.core.db.store import open_store

    import_sources(store, [LS_EXPORT])
    with store.begin() as conn:
        conn.execute(text("UPDATE article SET author = 'Ana Ruiz', site_name = 'El Diario', language = 'es'"))
    out = tmp_path / "ls.json"
    export_jsonl(store, out, ExportOptions(format="labelstudio"))
    other = tmp_path / "other.sqlite"
    shutil.copyfile(empty_dataset, other)
    with open_store(other) as again:
        import_sources(again, [out])
        with again.begin() as conn:
            row = conn.execute(text("SELECT author, site_name, language, meta FROM article")).one()
    assert tuple(row[:3]) == ("Ana Ruiz", "El Diario", "es")
    assert json.loads(row[3]) == {"labelstudio_task_id": 1234, "section": "economy"}


# -- 14, 17: what was assumed is said ---------------------------------------------------------------

def test_utf16_offsets_without_a_span_text_are_counted_on_their_own(store: Any, tmp_path: Path) -> None:
    task = {"data": {"text": "Hi 😀 Ana Ruiz here."}, "annotations": [{"completed_by": 1, "result": [
        {"type": "labels", "value": {"start": 6, "end": 14, "labels": ["PERSON"]}}]}]}
    (tmp_path / "t.json").write_text(json.dumps([task]), encoding="utf-8")
    report = import_sources(store, [tmp_path / "t.json"])
    assert [t for _b, _s, _e, t, *_ in stored_spans(store)] == ["Ana Ruiz"]
    from app.core.ingest.formats.spans import CONVERTED_UNCHECKED

    assert report.tally.counts[("converted", CONVERTED_UNCHECKED)] == 1
    assert CONVERTED_UNCHECKED == "offsets read as UTF-16 without a span text to check them"


def test_text_taken_from_another_field_is_noted(store: Any, tmp_path: Path) -> None:
    task = {"data": {"body": "Ana Ruiz flew to Oslo.", "tag": "x"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 0, "end": 8, "text": "Ana Ruiz", "labels": ["PERSON"]}}]}]}
    (tmp_path / "t.json").write_text(json.dumps([task]), encoding="utf-8")
    report = import_sources(store, [tmp_path / "t.json"])
    assert report.imported == 1
    assert report.tally.counts[("noted", "text taken from data.body")] == 1


# -- 15: the dry run keeps counts, not articles -------------------------------------------------------

def test_the_dry_run_keeps_counts_not_articles(store: Any, tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for n in range(1500):
            f.write(json.dumps({"text": f"Article {n}. " + "Ana Ruiz spoke in Madrid. " * 200,
                                "spans": [{"start": 0, "end": 7, "label": "ORG"}]}) + "\n")
    tracemalloc.start()
    try:
        preview = preview_sources(store, [str(path)])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert preview.documents == 1500 and preview.spans_per_label == {"ORG": 1500}
    assert peak < path.stat().st_size / 2, f"{peak / 1e6:.1f} MB held for a {path.stat().st_size / 1e6:.1f} MB file"
