"""Reading JSONL/JSON records for import, and export → import → export round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from app.core.db.store import Store, open_store
from app.core.export.exporter import ExportOptions, export_jsonl
from app.core.ingest.jsonl_reader import RecordError, iter_jsonl_records
from app.core.ingest.storing import store_articles
from app.core.validation import NewArticle
from tests.unit.test_export import plain_articles, sample_article, unicode_article

TEXT = "Hugo Touvron left Meta for Mistral in Paris."


def write(path: Path, *lines: str | bytes, sep: bytes = b"\n") -> Path:
    path.write_bytes(sep.join(line if isinstance(line, bytes) else line.encode() for line in lines))
    return path


def record(**extra: Any) -> str:
    return orjson.dumps({"text": TEXT, **extra}).decode()


def articles(results: list[Any]) -> list[NewArticle]:
    return [r for r in results if isinstance(r, NewArticle)]


def errors(results: list[Any]) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


# --- round trips ------------------------------------------------------------------------------------


@pytest.fixture
def dataset(store: Store, sample_text: str) -> Store:
    store_articles(store, [sample_article(sample_text), unicode_article(), *plain_articles()])
    return store


@pytest.mark.parametrize("fmt", ["native", "spacy", "doccano"])
@pytest.mark.parametrize("split", [None, (0.5, 0.25, 0.25)])
def test_round_trip_is_byte_identical(dataset: Store, tmp_path: Path, fmt: str,
                                      split: tuple[float, float, float] | None) -> None:
    options = ExportOptions(format=fmt, split=split)
    first = tmp_path / f"first.{fmt}.jsonl"
    export_jsonl(dataset, first, options)

    results = list(iter_jsonl_records(first))
    assert errors(results) == []
    with open_store(tmp_path / "second.sqlite") as second:
        outcomes = store_articles(second, articles(results))
        assert [o.outcome for o in outcomes] == ["imported"] * 4
        again = tmp_path / f"again.{fmt}.jsonl"
        export_jsonl(second, again, options)
    assert again.read_bytes().splitlines() == first.read_bytes().splitlines()


def test_native_round_trip_keeps_everything(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "native.jsonl"
    export_jsonl(dataset, out, ExportOptions())
    art = articles(list(iter_jsonl_records(out)))[0]
    assert art.uid and art.status == "done" and art.source_kind == "url"
    assert art.source == "https://example.com/llama" and art.published == "2025-05-27"
    assert {s.annotator for s in art.spans} == {"alice", "bob"}
    assert all(s.origin == "imported" for s in art.spans)
    claim = next(s for s in art.spans if s.label == "CLAIM" and s.attributes.get("verdict") == "true")
    assert claim.attributes["claimant"] == "Cryptopolitan"


def test_spacy_meta_gives_back_id_title_url_status(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "spacy.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="spacy"))
    line = read_first(out)
    art = articles(list(iter_jsonl_records(out)))[0]
    assert (art.uid, art.title, art.url, art.status) == (line["meta"]["id"], line["meta"]["title"],
                                                         line["meta"]["url"], "done")


def read_first(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes().splitlines()[0])


# --- recognised shapes -------------------------------------------------------------------------------


def test_plain_record_gets_file_as_source(tmp_path: Path) -> None:
    path = write(tmp_path / "plain.jsonl", record(title="Departures", url="https://example.com/a"))
    (art,) = list(iter_jsonl_records(path))
    assert isinstance(art, NewArticle)
    assert (art.title, art.url, art.source_kind, art.source, art.status) == (
        "Departures", "https://example.com/a", "jsonl", str(path), "new")
    assert art.uid is None and art.spans == []


def test_prodigy_record(tmp_path: Path) -> None:
    path = write(
        tmp_path / "prodigy.jsonl",
        record(spans=[{"start": 0, "end": 12, "label": "PERSON", "token_start": 0, "token_end": 1},
                      {"start": 18, "end": 22, "label": "ORG", "text": "Meta"}],
               meta={"source": "news feed", "id": 17}, _input_hash=1, _task_hash=2, answer="accept"),
        record(spans=[], answer="reject"),
        record(spans=[], answer="ignore"),
    )
    ok, rejected, ignored = list(iter_jsonl_records(path))
    assert isinstance(ok, NewArticle)
    assert [(s.start, s.end, s.label) for s in ok.spans] == [(0, 12, "PERSON"), (18, 22, "ORG")]
    assert ok.uid is None  # a number is not one of our ids
    assert ok.source_kind == "jsonl" and ok.source == "news feed"
    assert isinstance(rejected, RecordError) and rejected.skipped
    assert rejected.reason == 'line 2: left out: the Prodigy answer is "reject".'
    assert isinstance(ignored, RecordError) and ignored.skipped and ignored.line == 3


def test_doccano_variants(tmp_path: Path) -> None:
    path = write(
        tmp_path / "doccano.jsonl",
        record(id=3, label=[[0, 12, "PERSON"], [18, 22, "ORG"]], Comments=[]),
        record(labels=[[27, 34, "ORG"]]),
        record(entities=[{"id": 1, "label": "PERSON", "start_offset": 0, "end_offset": 12}], relations=[]),
        orjson.dumps({"id": 9, "data": TEXT, "label": [[0, 4, "PERSON"]]}).decode(),
        record(label=["positive"]),
    )
    a, b, c, d, e = list(iter_jsonl_records(path))
    assert [(s.start, s.end, s.label) for s in a.spans] == [(0, 12, "PERSON"), (18, 22, "ORG")]  # type: ignore[union-attr]
    assert [(s.start, s.end, s.label) for s in b.spans] == [(27, 34, "ORG")]  # type: ignore[union-attr]
    assert [(s.start, s.end, s.label) for s in c.spans] == [(0, 12, "PERSON")]  # type: ignore[union-attr]
    assert isinstance(d, NewArticle) and d.text == TEXT
    assert isinstance(e, RecordError) and "categories" in e.reason and e.reason.startswith("line 5:")


def test_json_file_with_a_list_or_one_record(tmp_path: Path) -> None:
    many = tmp_path / "many.json"
    many.write_bytes(b"\xef\xbb\xbf" + orjson.dumps([{"text": TEXT}, {"title": "no text"}, {"text": "Second."}],
                                                     option=orjson.OPT_INDENT_2))
    first, bad, second = list(iter_jsonl_records(many))
    assert isinstance(first, NewArticle) and isinstance(second, NewArticle)
    assert isinstance(bad, RecordError) and bad.reason == 'record 2: no "text" field.'
    one = tmp_path / "one.json"
    one.write_bytes(orjson.dumps({"text": TEXT, "title": "One"}, option=orjson.OPT_INDENT_2))
    (art,) = list(iter_jsonl_records(one))
    assert isinstance(art, NewArticle) and art.title == "One"


def test_json_lines_saved_as_json(tmp_path: Path) -> None:
    path = write(tmp_path / "lines.json", record(), record(title="Two"))
    assert len(articles(list(iter_jsonl_records(path)))) == 2


def test_duplicate_span_in_one_record_counts_once(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", record(spans=[{"start": 0, "end": 12, "label": "PERSON"}] * 2))
    (art,) = list(iter_jsonl_records(path))
    assert len(art.spans) == 1  # type: ignore[union-attr]


# --- bad input ----------------------------------------------------------------------------------------


def test_invalid_json_line_among_good_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.jsonl", record(), record(), record(),
                 '{"text": "Broken" "title": "x"}', record(), record(), '{"text": "unterminated')
    results = list(iter_jsonl_records(path))
    assert len(articles(results)) == 5
    bad = errors(results)
    assert bad[0].line == 4
    assert bad[0].reason == "line 4: not valid JSON (Expecting ',' delimiter at column 19)."
    assert bad[1].line == 7 and bad[1].reason.startswith("line 7: not valid JSON (Unterminated string")


def test_bom_and_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "win.jsonl", b"\xef\xbb\xbf" + record(title="First").encode(), b"", b"   ",
                 record(title="Second").encode(), b"", sep=b"\r\n")
    results = list(iter_jsonl_records(path))
    assert [a.title for a in articles(results)] == ["First", "Second"]
    assert errors(results) == []


def test_bom_before_a_bad_line_still_reports_line_one(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.jsonl", b"\xef\xbb\xbf[1, 2]")
    (err,) = list(iter_jsonl_records(path))
    assert err == RecordError(1, "line 1: not a JSON object (found a list).")


def test_span_past_the_end(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", record(), record(), record(spans=[{"start": 10, "end": 999, "label": "ORG"}]))
    err = errors(list(iter_jsonl_records(path)))[0]
    assert err.reason == f"line 3: span 10-999 ends past the end of the text ({len(TEXT)} characters)."


def test_span_text_mismatch(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", record(spans=[{"start": 27, "end": 34, "label": "ORG", "text": "Meta"}]))
    (err,) = list(iter_jsonl_records(path))
    assert err.reason == "line 1: span 27-34 says 'Meta' but the text there is 'Mistral'."  # type: ignore[union-attr]


@pytest.mark.parametrize(("spans", "reason"), [
    ([{"start": 5, "end": 5, "label": "ORG"}], "span 5-5 is empty or reversed."),
    ([{"start": -1, "end": 5, "label": "ORG"}], "span -1-5 is empty or reversed."),
    ([{"start": 0, "end": 4}], "span 0-4 has no label."),
    ([{"end": 4, "label": "ORG"}], 'span 1 has no "start".'),
    ([{"start": "0", "end": 4, "label": "ORG"}], "span 1 has a start that is not a whole number ('0')."),
    ([{"start": 0, "end": 4.5, "label": "ORG"}], "span 1 has an end that is not a whole number (4.5)."),
    ([{"start": 0, "end": True, "label": "ORG"}], "span 1 has an end that is not a whole number (True)."),
    ([{"start": False, "end": 4, "label": "ORG"}], "span 1 has a start that is not a whole number (False)."),
    ([{"start": 0, "end": None, "label": "ORG"}], 'span 1 has no "end".'),
    ([{"start": 0, "end": 4, "label": " \t"}], "span 0-4 has no label."),
    ([{"start": 0, "end": 4, "label": ""}], "span 0-4 has no label."),
    ([{"start": 0, "end": 4, "label": 7}], "span 0-4 has no label."),
    ([{"start": 0, "end": 4, "label": "L" * 65}], "span 0-4 has a label longer than 64 characters."),
    ([{"start": 4, "end": 2, "label": "ORG"}], "span 4-2 is empty or reversed."),
    ([{"start": 0, "end": len(TEXT) + 1, "label": "ORG"}],
     f"span 0-{len(TEXT) + 1} ends past the end of the text ({len(TEXT)} characters)."),
    ([[0, "4", "ORG"]], "span 1 has an end that is not a whole number ('4')."),
    ([{"start": 0, "end": 4, "label": "ORG", "attributes": [1]}],
     "span 1 has attributes that are a list, not an object."),
    ([[0, 4]], "span 1 is a list, not a span (an object or [start, end, label])."),
    ("PERSON", '"spans" is a string, not a list of spans.'),
])
def test_bad_spans(tmp_path: Path, spans: Any, reason: str) -> None:
    path = write(tmp_path / "s.jsonl", record(spans=spans))
    (err,) = list(iter_jsonl_records(path))
    assert err == RecordError(1, f"line 1: {reason}")


def test_spans_at_the_edges_of_what_is_allowed_are_read(tmp_path: Path) -> None:
    spans = [{"start": 0, "end": len(TEXT), "label": "L" * 64}, {"start_offset": 0, "end_offset": 4, "label": " x "},
             [5, 12, "PERSON"]]
    path = write(tmp_path / "s.jsonl", record(spans=spans))
    (art,) = articles(list(iter_jsonl_records(path)))
    assert [(s.start, s.end, s.label) for s in art.spans] == [(0, len(TEXT), "L" * 64), (0, 4, " x "),
                                                               (5, 12, "PERSON")]


@pytest.mark.parametrize(("line", "reason"), [
    ("[1, 2]", "not a JSON object (found a list)."),
    ('"just text"', "not a JSON object (found a string)."),
    ("42", "not a JSON object (found a number)."),
    ("null", "not a JSON object (found null)."),
    ('{"title": "x"}', 'no "text" field.'),
    ('{"text": 5}', '"text" is a number, not a string.'),
    ('{"text": "  \\n "}', 'the "text" field is empty.'),
    ('{"text": "ok", "status": "finished"}', "status 'finished' is not one of new, in_progress, done, skipped."),
    ('{"text": "lone \\ud800 surrogate"}', "holds an invalid character (a lone surrogate escape such as \\ud800)."),
])
def test_bad_records(tmp_path: Path, line: str, reason: str) -> None:
    path = write(tmp_path / "r.jsonl", record(), line)
    good, err = list(iter_jsonl_records(path))
    assert isinstance(good, NewArticle)
    assert err == RecordError(2, f"line 2: {reason}")


def test_bad_uid_is_replaced_not_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", record(id="has spaces/and slashes"), record(id="x" * 41), record(id="ok-id_1"))
    uids = [a.uid for a in articles(list(iter_jsonl_records(path)))]
    assert uids == [None, None, "ok-id_1"]


def test_unknown_source_kind_falls_back_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", record(meta={"source_kind": "web", "source": "https://a.example"}))
    (art,) = list(iter_jsonl_records(path))
    assert (art.source_kind, art.source) == ("jsonl", "https://a.example")  # type: ignore[union-attr]


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.jsonl", record(), '{"text": "Caf\xe9"}'.encode("latin-1"), record())
    results = list(iter_jsonl_records(path))
    assert len(articles(results)) == 2
    (err,) = errors(results)
    assert err.line == 2
    assert err.reason == "line 2: not UTF-8 text (byte 0xe9 at position 14); is the file saved as UTF-8?"


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(record().encode("utf-16"))
    (err,) = list(iter_jsonl_records(path))
    assert isinstance(err, RecordError) and err.line == 0 and "UTF-16" in err.reason


def test_non_utf8_json_document(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('[{"text": "Caf\xe9"}]'.encode("latin-1"))
    (err,) = list(iter_jsonl_records(path))
    assert isinstance(err, RecordError) and "not UTF-8" in err.reason


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    (err,) = list(iter_jsonl_records(path))
    assert err == RecordError(0, "empty.jsonl is empty: it holds no records.")


def test_empty_json_list(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"[]")
    (err,) = list(iter_jsonl_records(path))
    assert isinstance(err, RecordError) and "no records" in err.reason


def test_missing_file(tmp_path: Path) -> None:
    (err,) = list(iter_jsonl_records(tmp_path / "nope.jsonl"))
    assert isinstance(err, RecordError) and err.line == 0 and err.reason.startswith("Cannot read")


def test_reading_streams(tmp_path: Path) -> None:
    """The reader yields as it goes: the first record arrives before the rest is parsed."""
    path = write(tmp_path / "big.jsonl", *([record()] * 5000))
    it = iter_jsonl_records(path)
    assert isinstance(next(it), NewArticle)
    assert sum(1 for _ in it) == 4999


def test_broken_json_list_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"text": "One."},\n  {"text": "Two." "title": "x"}\n]\n', encoding="utf-8")
    (err,) = list(iter_jsonl_records(path))
    assert err == RecordError(3, "line 3: not valid JSON (Expecting ',' delimiter at column 19); "
                                 "the file is one JSON list, so none of it was imported.")


@pytest.mark.parametrize(("content", "reason"), [
    (b"%PDF-1.7\n" + bytes(range(256)) * 4, "bin.jsonl is not a JSON Lines file: it contains a PDF document."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "bin.jsonl is not a JSON Lines file: it contains a PNG image."),
    (record().encode("utf-16-le"), "bin.jsonl is not UTF-8 (it looks like UTF-16); save it as UTF-8 and import again."),
])
def test_a_binary_or_utf16_file_is_one_failure_not_one_per_line(tmp_path: Path, content: bytes, reason: str) -> None:
    path = write(tmp_path / "bin.jsonl", content)
    assert list(iter_jsonl_records(path)) == [RecordError(0, reason)]


def test_json_messages_read_as_sentences(tmp_path: Path) -> None:
    path = write(tmp_path / "joined.jsonl", record(), b"\xef\xbb\xbf" + record().encode(), b'{"text": "unterminated')
    _, bom, cut = list(iter_jsonl_records(path))
    assert bom == RecordError(2, "line 2: starts with a byte order mark (U+FEFF), which belongs only at the start "
                                 "of a file; were files joined together?")
    assert cut == RecordError(3, "line 3: not valid JSON (Unterminated string starting at column 10).")


def test_a_line_too_long_for_any_article_is_skipped_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.ingest.jsonl_reader as reader

    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1024 * 1024)
    path = write(tmp_path / "long.jsonl", record(title="before"), record(title="x" * 3_000_000), record(title="after"))
    before, long, after = list(iter_jsonl_records(path))
    assert long == RecordError(2, "line 2: longer than 1 MB, more than an article can hold; skipped.")
    assert (before.title, after.title) == ("before", "after")  # type: ignore[union-attr]


def test_a_stray_nul_byte_fails_its_line_not_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "nul.jsonl", record(title="first"), b'{"text": "a NUL \x00 byte"}', record(title="last"))
    first, nul, last = list(iter_jsonl_records(path))
    assert nul == RecordError(2, "line 2: not JSON text: it holds NUL bytes, which JSON never does.")
    assert (first.title, last.title) == ("first", "last")  # type: ignore[union-attr]
