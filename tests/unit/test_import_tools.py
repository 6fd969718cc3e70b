"""Importing what Label Studio, brat, CoNLL corpora and Prodigy produce, from real files (tests/data/<tool>/)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from app.core.export.exporter import ExportOptions, export_jsonl
from app.core.ingest import formats
from app.core.ingest.formats import conll
from app.core.ingest.formats.spans import Utf16
from app.core.ingest.import_log import batch_items
from app.core.ingest.importer import ImportOptions, import_sources
from tests.unit.test_cli import run_cli

DATA = Path(__file__).resolve().parents[1] / "data"
LS_EXPORT = DATA / "labelstudio" / "export_emoji_two_annotators.json"


def stored_spans(store: Any) -> list[tuple[Any, ...]]:
    """(article text, start, end, span text, label, annotator) of every stored span."""
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text(
            'SELECT a.text, s.start, s."end", s.text, l.name, s.annotator, s.attributes FROM span s '
            "JOIN article a ON a.id = s.article_id JOIN label l ON l.id = s.label_id "
            "ORDER BY a.id, s.start, s.annotator"))]


def assert_every_span_matches_its_text(store: Any) -> None:
    for body, start, end, span_text, *_ in stored_spans(store):
        assert body[start:end] == span_text


# -- Label Studio ---------------------------------------------------------------------------------

def ls_source_spans() -> set[tuple[str, str, str]]:
    """(span text without its edge whitespace, label, annotator) of the sample's kept annotations."""
    task = json.loads(LS_EXPORT.read_text(encoding="utf-8"))[0]
    out = set()
    for ann in task["annotations"]:
        if ann["was_cancelled"]:
            continue
        who = ann["completed_by"]["email"] if isinstance(ann["completed_by"], dict) else str(ann["completed_by"])
        for r in ann["result"]:
            if r["type"] == "labels":
                out.add((r["value"]["text"].strip(), r["value"]["labels"][0].upper(), who))
    return out


def test_utf16_offsets_convert_to_characters() -> None:
    body = "a😀b🇪🇸c"
    u = Utf16(body)
    assert [u.to_chars(i) for i in (0, 1, 3, 4, 8, 9)] == [0, 1, 2, 3, 5, 6]
    assert u.to_chars(2) is None  # inside the emoji's surrogate pair
    assert u.to_chars(10) is None


def test_label_studio_export_with_emoji_and_two_annotators(store: Any) -> None:
    report = import_sources(store, [LS_EXPORT])
    assert report.imported == 1 and not report.failures
    spans = stored_spans(store)
    assert_every_span_matches_its_text(store)
    assert {(t, label.upper(), who) for _b, _s, _e, t, label, who, _a in spans} == ls_source_spans()
    assert {who for *_, who, _a in spans} == {"annotator_from_past@project.com", "43"}
    tally = report.tally
    assert tally.total("converted") == 5  # every span after the first emoji
    assert tally.counts[("trimmed", "whitespace at a span's edges left out")] == 1  # "Madrid "
    assert tally.counts[("skipped", "cancelled annotation")] == 1
    assert tally.counts[("not imported", "choices result (not a text span)")] == 1
    with store.begin() as conn:
        meta, title, url = conn.execute(text("SELECT meta, title, url FROM article")).one()
        suggestion = conn.execute(text('SELECT s.start, s."end", l.name, s.score, s.source FROM suggestion s '
                                       "JOIN label l ON l.id = s.label_id")).one()
    assert json.loads(meta) == {"labelstudio_task_id": 1234, "section": "economy"}
    assert (title, url) == ("Unemployment falls in Madrid", "https://example.com/news/1")
    assert suggestion == (60, 66, "LOC", 0.91, "labelstudio:ner-v1")  # the prediction, to review
    assert report.suggestions == 1
    logged = batch_items(store, report.batch)
    assert "converted 5: UTF-16 offsets" in logged[0].reason


def test_json_min_and_a_folder_of_tasks_give_the_same_spans(store: Any, tmp_path: Path,
                                                              empty_dataset: Path) -> None:
    from app.core.db.store import open_store

    import_sources(store, [DATA / "labelstudio" / "tasks"])
    from_folder = stored_spans(store)
    other = tmp_path / "other.sqlite"
    shutil.copyfile(empty_dataset, other)
    with open_store(other) as again:
        report = import_sources(again, [DATA / "labelstudio" / "export_min.json"])
        assert report.imported == 1
        assert stored_spans(again) == from_folder
    assert {(t, label.upper(), who) for _b, _s, _e, t, label, who, _a in from_folder} == ls_source_spans()


def test_a_span_whose_text_is_nowhere_is_refused_with_its_reason(store: Any, tmp_path: Path) -> None:
    body = "Hi 😀 Ana Ruiz here."
    task = {"data": {"text": body}, "annotations": [{"completed_by": 1, "result": [
        {"type": "labels", "value": {"start": 6, "end": 14, "text": "Ana Ruiz", "labels": ["PERSON"]}},  # UTF-16
        {"type": "labels", "value": {"start": 5, "end": 13, "text": "Ana Ruiz", "labels": ["PERSON"]}},  # chars
        {"type": "labels", "value": {"start": 5, "end": 13, "text": "Ana Diaz", "labels": ["PERSON"]}},
        {"type": "labels", "value": {"start": 5, "end": 99, "labels": ["PERSON"]}},
    ]}]}
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    report = import_sources(store, [path])
    assert [(s, e, t) for _b, s, e, t, *_ in stored_spans(store)] == [(5, 13, "Ana Ruiz")]
    assert report.tally.counts[("refused", "the text at the span's offsets differs from the span's text")] == 1
    assert report.tally.counts[("refused", "the span lies outside the text")] == 1
    assert report.tally.total("converted") == 1


def test_label_studio_export_round_trip(store: Any, tmp_path: Path, empty_dataset: Path) -> None:
    from app.core.db.store import open_store

    import_sources(store, [LS_EXPORT, DATA / "prodigy" / "news_headlines_ner.jsonl"])
    with store.begin() as conn:
        conn.execute(text("""UPDATE span SET attributes = '{"verdict":"false"}' WHERE text = 'unemployment fell to 11%'"""))
    out = tmp_path / "ls.json"
    export_jsonl(store, out, ExportOptions(format="labelstudio"))
    tasks = json.loads(out.read_text(encoding="utf-8"))  # one JSON list, as Label Studio imports it
    assert len(tasks) == 13 and all(t["data"]["text"] for t in tasks)
    first = tasks[0]
    for prediction in first["predictions"]:
        for r in prediction["result"]:
            v = r["value"]
            assert first["data"]["text"][v["start"]:v["end"]] == v["text"]  # code points
    other = tmp_path / "other.sqlite"
    shutil.copyfile(empty_dataset, other)
    with open_store(other) as again:
        report = import_sources(again, [out])
        assert report.imported == 13
        assert stored_spans(again) == stored_spans(store)
        with again.begin() as conn:
            metas = [json.loads(m) for (m,) in conn.execute(text("SELECT meta FROM article ORDER BY id"))]
    assert metas[0] == {"labelstudio_task_id": 1234, "section": "economy"}
    assert metas[1]["_input_hash"] == 1886699658


def test_native_export_keeps_article_metadata(store: Any, tmp_path: Path, empty_dataset: Path) -> None:
    from app.core.db.store import open_store

    import_sources(store, [LS_EXPORT])
    out = tmp_path / "native.jsonl"
    export_jsonl(store, out, ExportOptions(format="native"))
    line = orjson.loads(out.read_bytes())
    assert line["meta"]["section"] == "economy" and line["meta"]["source_kind"] == "jsonl"
    other = tmp_path / "other.sqlite"
    shutil.copyfile(empty_dataset, other)
    with open_store(other) as again:
        import_sources(again, [out])
        again_out = tmp_path / "again.jsonl"
        export_jsonl(again, again_out, ExportOptions(format="native"))
    assert again_out.read_bytes() == out.read_bytes()


# -- brat -----------------------------------------------------------------------------------------

def test_brat_corpus_sample(store: Any) -> None:
    report = import_sources(store, [DATA / "brat"])
    assert report.imported == 2 and not report.failures
    assert_every_span_matches_its_text(store)
    spans = stored_spans(store)
    ann_texts = [line.split("\t")[2] for f in sorted((DATA / "brat").glob("*.ann"))
                 for line in f.read_text(encoding="utf-8").splitlines() if line.startswith("T")]
    assert sorted(t for _b, _s, _e, t, *_ in spans) == sorted(ann_texts)
    money = next(s for s in spans if s[3] == "$100 million")
    assert json.loads(money[6]) == {"note": "100000000 USD"}
    raul = next(s for s in spans if s[3] == "Raul Salinas de Gortari")
    assert json.loads(raul[6]) == {"Mention": "Name", "Individual": True}
    counts = report.tally.counts
    assert counts[("not imported", "brat relation annotation (no place for it here)")] == 2
    assert counts[("not imported", "brat event annotation (no place for it here)")] == 1
    assert counts[("not imported", "brat normalisation annotation (no place for it here)")] == 1


def test_brat_discontinuous_spans_attributes_onto_claims(store: Any, tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text("Ana Ruiz said taxes rose, sharply, last year.", encoding="utf-8")
    (tmp_path / "doc.ann").write_text(
        "T1\tPERSON 0 8\tAna Ruiz\nT2\tCLAIM 14 24;26 33\ttaxes rose sharply\n"
        "A1\tVerdict T2 false\n#1\tAnnotatorNotes T2\tsee the budget\n*\tAlias T1 T1\n", encoding="utf-8")
    report = import_sources(store, [tmp_path])
    spans = stored_spans(store)
    assert [(t, label) for _b, _s, _e, t, label, *_ in spans] == [
        ("Ana Ruiz", "PERSON"), ("taxes rose", "CLAIM"), ("sharply", "CLAIM")]
    assert json.loads(spans[1][6]) == {"verdict": "false", "note": "see the budget"}
    assert report.tally.counts[("noted", "discontinuous brat annotation stored as one span per fragment")] == 1
    assert report.tally.counts[("not imported", "brat equivalence annotation (no place for it here)")] == 1


# -- CoNLL ----------------------------------------------------------------------------------------

def test_conll_token_per_line_file(store: Any) -> None:
    path = DATA / "conll" / "ner-token-per-line.iob"
    assert formats.sniff(path) == "conll"
    report = import_sources(store, [path])
    assert report.imported == 1
    assert_every_span_matches_its_text(store)
    spans = [(t, label) for _b, _s, _e, t, label, *_ in stored_spans(store)]
    assert spans == [("Sebastian Thrun", "PERSON"), ("Google", "ORG"), ("2007", "DATE"), ("American", "NORP"),
                     ("Thrun", "PERSON"), ("Recode", "ORG"), ("earlier this week", "DATE")]
    assert report.tally.total("repaired") == 0


def test_conll_space_separated_sentences(store: Any) -> None:
    report = import_sources(store, [DATA / "conll" / "trivial_bio.txt"])
    assert report.imported == 1
    body = stored_spans(store)[0][0]
    assert body.splitlines()[0] == "this is New York" and len(body.splitlines()) == 8
    assert [t for _b, _s, _e, t, *_ in stored_spans(store)].count("New York") == 4


CONLL_2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
"""


def test_conll_2003_columns_documents_and_a_repair(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "eng.conll"
    path.write_text(CONLL_2003, encoding="utf-8")
    report = import_sources(store, [path])
    assert report.imported == 2
    spans = stored_spans(store)
    assert spans[0][0] == "EU rejects German call .\nPeter Blackburn"
    assert [(t, label) for _b, _s, _e, t, label, *_ in spans] == [
        ("EU", "ORG"), ("German", "MISC"), ("Peter Blackburn", "PER"), ("BRUSSELS", "LOC")]
    assert report.tally.counts[("repaired", conll.REPAIRED_I)] == 1


def test_conll_schemes_are_detected() -> None:
    assert conll.detect_scheme(["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]) == "IOB1"
    assert conll.detect_scheme(["B-PER", "I-PER", "O", "I-LOC"]) == "IOB2"
    assert conll.detect_scheme(["B-PER", "E-PER", "S-LOC"]) == "BIOES"
    assert conll.detect_scheme(["U-PER", "B-LOC", "L-LOC"]) == "BIOES"
    tally = formats.Tally()
    body, spans = conll.rebuild([[("Ana", "B-PER"), ("Ruiz", "E-PER"), ("in", "O"), ("Madrid", "S-LOC")]],
                                "BIOES", tally)
    assert [(body[s["start"]:s["end"]], s["label"]) for s in spans] == [("Ana Ruiz", "PER"), ("Madrid", "LOC")]
    assert not tally.counts
    _, spans = conll.rebuild([[("EU", "I-ORG"), ("Commission", "I-ORG"), ("x", "B-ORG")]], "IOB1", tally)
    assert [(s["start"], s["end"]) for s in spans] == [(0, 13), (14, 15)] and not tally.counts


# -- Prodigy --------------------------------------------------------------------------------------

def test_prodigy_examples(store: Any) -> None:
    path = DATA / "prodigy" / "news_headlines_ner.jsonl"
    report = import_sources(store, [path])
    assert report.imported == 12 and len(report.skipped) == 1 and "ignore" in report.skipped[0]
    assert_every_span_matches_its_text(store)
    expected = []
    for line in path.read_text(encoding="utf-8").splitlines()[:12]:
        example = json.loads(line)
        expected += [example["text"][s["start"]:s["end"]] for s in example.get("spans", [])]
    assert sorted(t for _b, _s, _e, t, *_ in stored_spans(store)) == sorted(expected)
    with store.begin() as conn:
        meta = json.loads(conn.execute(text("SELECT meta FROM article ORDER BY id")).first()[0])
    assert meta == {"_input_hash": 1886699658, "original_source": "The New York Times"}


def test_prodigy_annotators_become_layers_and_rejects_are_counted(store: Any, tmp_path: Path) -> None:
    tokens = [{"text": "Ana", "start": 0, "end": 3, "id": 0}, {"text": "Ruiz", "start": 4, "end": 8, "id": 1},
              {"text": "won", "start": 9, "end": 12, "id": 2}]
    base = {"text": "Ana Ruiz won", "tokens": tokens, "_input_hash": 7}
    lines = [{**base, "spans": [{"token_start": 0, "token_end": 1, "label": "PERSON"}], "answer": "accept",
              "_annotator_id": "news-ana"},
             {**base, "spans": [{"token_start": 0, "token_end": 0, "label": "PERSON"}], "answer": "accept",
              "_annotator_id": "news-bo"},
             {**base, "spans": [{"start": 0, "end": 3, "token_start": 0, "token_end": 1, "label": "PERSON"}],
              "answer": "accept", "_session_id": "news-cy"},
             {**base, "spans": [], "answer": "reject", "_annotator_id": "news-dee"}]
    path = tmp_path / "db-out.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    report = import_sources(store, [path])
    assert report.imported == 1 and len(report.skipped) == 1
    assert [(t, who) for _b, _s, _e, t, _l, who, _a in stored_spans(store)] == [("Ana Ruiz", "news-ana"),
                                                                                ("Ana", "news-bo")]
    assert report.tally.counts[("refused", "the span's character offsets and its tokens disagree")] == 1


# -- dry run --------------------------------------------------------------------------------------

def test_dry_run_prints_the_plan_and_writes_nothing(store: Any, db_path: Path, isolated_home: Path) -> None:
    store.close()
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    result = run_cli("import", "--dry-run", "--db", str(db_path), str(LS_EXPORT), str(DATA / "brat"),
                     str(DATA / "prodigy" / "news_headlines_ner.jsonl"), home=isolated_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Would import 15 documents (1 labelstudio, 2 brat, 12 prodigy)." in out
    assert "annotator_from_past@project.com: 3" in out
    assert "converted 5: UTF-16 offsets" in out and "skipped 1: cancelled annotation" in out
    assert 'left out: the Prodigy answer is "ignore"' in out
    assert "Suggestions to review: 1" in out and "Dry run: nothing was written." in out
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    from app.core.db.store import open_store

    with open_store(db_path) as again, again.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM article")).scalar_one() == 0


def test_import_summary_line(db_path: Path, isolated_home: Path, empty_dataset: Path) -> None:
    shutil.copyfile(empty_dataset, db_path)
    result = run_cli("import", "--db", str(db_path), str(LS_EXPORT), home=isolated_home)
    assert result.returncode == 0, result.stderr
    assert ("Spans: converted 5   trimmed 1   repaired 0   refused 0   skipped 2   not imported 1"
            "   Suggestions stored: 1") in result.stdout


@pytest.mark.parametrize("name", ["labelstudio", "brat", "conll", "prodigy"])
def test_from_names_the_format(name: str, tmp_path: Path) -> None:
    samples = {"labelstudio": LS_EXPORT, "brat": DATA / "brat", "conll": DATA / "conll" / "trivial_bio.txt",
               "prodigy": DATA / "prodigy" / "news_headlines_ner.jsonl"}
    assert formats.sniff(samples[name]) == name
    assert all(r.article is not None or r.skipped for r in formats.read(samples[name], name))
    assert ImportOptions(source_format=name).source_format == name


def test_broken_files_of_every_tool_fail_or_count_item_by_item(store: Any, tmp_path: Path) -> None:
    (tmp_path / "brat").mkdir()
    (tmp_path / "brat" / "a.txt").write_text("Ana is here", encoding="utf-8")
    (tmp_path / "brat" / "a.ann").write_text("T1\tPERSON 0 x\tAna\nT2\tPERSON 0 999\tAna\nT3\tPERSON\n"
                                             "A1\tVerdict\n#1\tAnnotatorNotes\nR1\nT4\tPERSON 0 3\tAna\n",
                                             encoding="utf-8")
    (tmp_path / "brat" / "b.txt").write_text("x", encoding="utf-8")
    (tmp_path / "brat" / "b.ann").write_bytes(b"\xff\xfe")
    tasks = [{"data": {"text": 5}, "annotations": []},
             {"data": {"text": "ok text"}, "annotations": [
                 {"result": [{"type": "labels", "value": {"start": "a", "end": 2, "labels": ["X"]}}, "junk"]},
                 "junk", {"was_cancelled": True, "result": "no"}], "predictions": [5]}, 7]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    (tmp_path / "p.jsonl").write_text('{"text": "Ana", "_input_hash": 1, "spans": [5]}\nnot json\n', encoding="utf-8")
    report = import_sources(store, [tmp_path / "brat", tmp_path / "tasks.json", tmp_path / "p.jsonl"])
    assert report.imported == 3
    assert [f.source.rsplit("/", 1)[-1] for f in report.failures] == [
        "b.ann", "tasks.json#task 1", "tasks.json#task 3", "p.jsonl:2"]
    assert [(t, label) for _b, _s, _e, t, label, *_ in stored_spans(store)] == [("Ana", "PERSON")]
    counts = report.tally.counts
    assert counts[("refused", "annotation that is not a JSON object")] == 1
    assert counts[("refused", "result that is not a JSON object")] == 1
    assert counts[("refused", "prediction that is not a JSON object")] == 1
    assert counts[("refused", "the span's offsets are not whole numbers")] == 1
    assert counts[("refused", "the span lies outside the text")] == 1
    assert counts[("refused", "a span that is not an object")] == 1
    assert counts[("skipped", "cancelled annotation")] == 1


def test_a_folder_of_mixed_files_reads_each_in_its_format(store: Any, tmp_path: Path) -> None:
    shutil.copy(LS_EXPORT, tmp_path / "ls.json")
    shutil.copy(DATA / "conll" / "trivial_bio.txt", tmp_path / "conll.txt")
    shutil.copy(DATA / "brat" / "esp.train-doc-29.txt", tmp_path / "doc.txt")
    shutil.copy(DATA / "brat" / "esp.train-doc-29.ann", tmp_path / "doc.ann")
    (tmp_path / "plain.txt").write_text("A title\n\nAn article of plain text.", encoding="utf-8")
    report = import_sources(store, [tmp_path])
    assert report.imported == 4 and not report.failures
    assert_every_span_matches_its_text(store)
    with store.begin() as conn:
        kinds = sorted(conn.execute(text("SELECT source_kind, count(*) FROM article GROUP BY 1")).all())
    assert kinds == [("file", 3), ("jsonl", 1)]


def test_from_reads_a_file_its_name_does_not_announce(db_path: Path, isolated_home: Path, empty_dataset: Path,
                                                      tmp_path: Path) -> None:
    shutil.copyfile(empty_dataset, db_path)
    path = tmp_path / "eng.dat"
    path.write_text(CONLL_2003, encoding="utf-8")
    result = run_cli("import", "--db", str(db_path), str(path), home=isolated_home)
    assert result.returncode == 1 and "Unsupported file type" in result.stdout
    result = run_cli("import", "--from", "conll", "--db", str(db_path), str(path), home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Imported: 2" in result.stdout and "repaired 1: an I- tag without a B- before it" in result.stdout


def test_a_dry_run_of_an_export_folder_leaves_its_entities_file_to_the_import(store: Any, tmp_path: Path) -> None:
    from app.core.ingest.preview import preview_sources

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "out.jsonl").write_text('{"text": "Meta hired Ana.", "spans": [{"start": 0, "end": 4, "label": "ORG", '
                                      '"entity_id": 1}]}\n')
    (folder / "out.entities.jsonl").write_text('{"id": 1, "kind": "ORG", "name": "Meta", "aliases": [], '
                                               '"external_id": "", "note": ""}\n')
    preview = preview_sources(store, [str(folder)])
    assert preview.documents == 1 and preview.failures == [] and preview.skipped == []
