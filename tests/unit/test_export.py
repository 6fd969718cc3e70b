"""Labelled JSONL export: formats, filters, split, atomic writes, streaming."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from app.core.cancel import Cancelled, CancelToken
from app.core.db.store import Store, open_store
from app.core.export import exporter
from app.core.export.exporter import ExportError, ExportOptions, export_jsonl, split_for
from app.core.ingest.storing import store_articles
from app.core.validation import InvalidInput, NewArticle

# Emoji with skin tone and ZWJ, combining accents (two code points per letter), CJK, RTL.
UNICODE_TEXT = (
    "Dr. Zoë Ångström 👩🏽‍🔬 told Ëxämple Labs that René\u0301e Dubois 🇫🇷 would lead the 東京 office. "
    "„The results are clear“, said José\u0301 Nuñez; مرحبا — the claim was repeated by Ëxämple Labs. 🚀"
)


def span(body: str, needle: str, label: str, *, annotator: str = "alice", after: int = 0,
         **attributes: Any) -> dict[str, Any]:
    start = body.index(needle, after)
    return {"start": start, "end": start + len(needle), "label": label, "annotator": annotator,
            "attributes": attributes}


def sample_article(sample_text: str) -> NewArticle:
    claim = ("only three, research scientist Hugo Touvron, research engineer Xavier Martinet, and technical "
             "program leader Faisal Azhar, remain at Meta.")
    claim_at = sample_text.index(claim)
    spans = [
        span(sample_text, claim, "CLAIM", claimant="Cryptopolitan", verdict="true",
             note="Matches the 2023 paper's author list."),
        span(sample_text, "Hugo Touvron", "PERSON"),
        span(sample_text, "Hugo Touvron", "PERSON", annotator="bob"),  # two annotators agree
        span(sample_text, "Xavier Martinet", "PERSON"),
        span(sample_text, "Faisal Azhar", "PERSON", annotator="bob"),
        span(sample_text, "Meta.", "ORG", after=claim_at) | {"end": sample_text.index("Meta.", claim_at) + 4},
        span(sample_text, "Mistral", "ORG"),
        span(sample_text, "Guillaume Lample", "PERSON"),
        span(sample_text, "Timothée Lacroix", "PERSON", annotator="bob"),
        # Same offsets, different labels: the export orders them by label name.
        span(sample_text, "Cryptopolitan", "ORG"),
        span(sample_text, "Cryptopolitan", "CLAIM", claimant="", verdict="unverified", note=""),
    ]
    return NewArticle(text=sample_text, title="High turnover hits Meta’s Llama", url="https://example.com/llama",
                      author="Staff", published="2025-05-27", site_name="Cryptopolitan", language="en",
                      source_kind="url", source="https://example.com/llama", status="done", spans=spans)


def unicode_article() -> NewArticle:
    body = UNICODE_TEXT
    claim = "„The results are clear“, said José\u0301 Nuñez;"
    spans = [
        span(body, "Zoë Ångström", "PERSON", annotator="carol"),
        span(body, "Ëxämple Labs", "ORG", annotator="carol"),
        span(body, "Ëxämple Labs", "ORG", annotator="carol", after=body.index("repeated")),
        span(body, "René\u0301e Dubois 🇫🇷", "PERSON", annotator="carol"),
        span(body, claim, "CLAIM", annotator="carol", claimant="José\u0301 Nuñez", verdict="misleading",
             note="Quote 👀 needs \"context\"\nand a source."),
        span(body, "José\u0301 Nuñez", "PERSON", annotator="carol"),
    ]
    return NewArticle(text=body, title="Ünïcödé 👩🏽‍🔬", url="https://example.com/unicode", language="fr",
                      source_kind="paste", status="in_progress", spans=spans)


def plain_articles() -> list[NewArticle]:
    return [
        NewArticle(text="A short note with no labels at all.", title="Unlabelled", status="new"),
        NewArticle(text="Skipped: Anna Keller spoke for Valley Bank.", title="Skipped one", status="skipped",
                   source_kind="file", source="/data/notes/skipped.txt",
                   spans=[span("Skipped: Anna Keller spoke for Valley Bank.", "Anna Keller", "PERSON",
                               annotator="dave")]),
    ]


@pytest.fixture
def dataset(store: Store, sample_text: str) -> Store:
    outcomes = store_articles(store, [sample_article(sample_text), unicode_article(), *plain_articles()])
    assert [o.outcome for o in outcomes] == ["imported"] * 4
    return store


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def stored_spans(store: Store) -> set[tuple[str, int, int, str, str]]:
    with store.begin() as conn:
        return set(conn.execute(text(
            'SELECT article.uid, span.start, span."end", label.name, span.annotator FROM span '
            "JOIN article ON article.id = span.article_id JOIN label ON label.id = span.label_id")).all())


# --- formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["native", "spacy", "doccano"])
def test_every_span_matches_its_text(dataset: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"{fmt}.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(format=fmt))
    records = read_lines(out)
    assert summary.articles == len(records) == 4
    n_spans = 0
    for rec in records:
        body = rec["text"]
        if fmt == "doccano":
            for start, end, label in rec["label"]:
                assert 0 <= start < end <= len(body) and label in ("PERSON", "ORG", "CLAIM")
                n_spans += 1
        else:
            for sp in rec["spans"]:
                assert body[sp["start"]:sp["end"]] == sp["text"]
                n_spans += 1
    assert sum(summary.spans_per_label.values()) == n_spans
    assert summary.paths == [out]


def test_native_line_layout(dataset: Store, tmp_path: Path, sample_text: str) -> None:
    out = tmp_path / "native.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions())
    first = read_lines(out)[0]
    assert list(first) == ["id", "url", "title", "text", "meta", "status", "spans"]
    assert list(first["meta"]) == ["author", "date", "site_name", "language", "source_kind", "source"]
    assert first["meta"] == {"author": "Staff", "date": "2025-05-27", "site_name": "Cryptopolitan",
                             "language": "en", "source_kind": "url", "source": "https://example.com/llama"}
    assert first["text"] == sample_text and first["status"] == "done"
    spans = first["spans"]
    assert all(list(s) == ["start", "end", "label", "text", "annotator", "attributes"] for s in spans)
    keys = [(s["start"], s["end"], s["label"], s["annotator"]) for s in spans]
    assert keys == sorted(keys)
    # Same offsets, two labels: CLAIM sorts before ORG by name, whatever the label ids.
    crypto = [s for s in spans if s["text"] == "Cryptopolitan"]
    assert [s["label"] for s in crypto] == ["CLAIM", "ORG"]
    # Both annotators' copies of the same span are kept.
    assert [s["annotator"] for s in spans if s["text"] == "Hugo Touvron"] == ["alice", "bob"]
    claim = next(s for s in spans if s["label"] == "CLAIM" and s["text"].startswith("only three"))
    assert claim["attributes"] == {"claimant": "Cryptopolitan", "note": "Matches the 2023 paper's author list.",
                                   "verdict": "true"}
    inside = [s["label"] for s in spans if claim["start"] <= s["start"] and s["end"] <= claim["end"] and s is not claim]
    assert "PERSON" in inside and "ORG" in inside  # nested entities survive
    assert summary.spans_per_label == {"CLAIM": 3, "ORG": 5, "PERSON": 10}


def test_spacy_layout(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "spacy.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(format="spacy"))
    records = read_lines(out)
    first = records[0]
    assert list(first) == ["text", "spans", "meta"]
    assert list(first["meta"]) == ["id", "url", "title", "author", "date", "site_name", "language", "status",
                                   "source_kind", "source"]
    # One copy of a span several annotators made.
    assert [s["text"] for s in first["spans"]].count("Hugo Touvron") == 1
    for sp in first["spans"]:
        if sp["label"] == "CLAIM":
            assert list(sp) == ["start", "end", "label", "text", "attributes"]
        else:
            assert list(sp) == ["start", "end", "label", "text"]  # no empty "attributes"
    assert summary.spans_per_label["PERSON"] == 9  # 10 stored, one of them a second annotator's copy


def test_doccano_layout(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "doccano.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="doccano"))
    first, second, third, _fourth = read_lines(out)
    assert list(first) == ["id", "text", "label", "title", "url", "author", "date", "site_name", "language",
                           "status", "source_kind", "source"]
    assert first["label"][0] == [first["text"].index("Cryptopolitan"), first["text"].index("Cryptopolitan") + 13,
                                 "CLAIM"]
    # Metadata without a value is left out rather than shown as null in doccano.
    assert list(second) == ["id", "text", "label", "title", "url", "language", "status", "source_kind"]
    assert third["label"] == []


def test_unicode_offsets_are_code_points(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "native.jsonl"
    export_jsonl(dataset, out, ExportOptions(statuses=("in_progress",)))
    (rec,) = read_lines(out)
    assert rec["text"] == UNICODE_TEXT
    by_text = {s["text"]: s for s in rec["spans"]}
    assert "René\u0301e Dubois 🇫🇷" in by_text and "José\u0301 Nuñez" in by_text
    claim = next(s for s in rec["spans"] if s["label"] == "CLAIM")
    assert claim["attributes"]["note"] == "Quote 👀 needs \"context\"\nand a source."


def test_empty_dataset_gives_empty_file(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "empty.jsonl"
    summary = export_jsonl(store, out, ExportOptions())
    assert out.read_bytes() == b"" and summary.articles == 0 and summary.spans_per_label == {}


def test_options_are_checked() -> None:
    with pytest.raises(InvalidInput, match="format"):
        ExportOptions(format="xml")
    with pytest.raises(InvalidInput, match="add up to 1"):
        ExportOptions(split=(0.5, 0.2, 0.2))
    with pytest.raises(InvalidInput, match="negative"):
        ExportOptions(split=(1.2, -0.1, -0.1))
    with pytest.raises(InvalidInput, match="status"):
        ExportOptions(statuses=("finished",))
    with pytest.raises(InvalidInput, match="needs a split"):
        ExportOptions(split_files=True)


# --- filters ----------------------------------------------------------------------------------------


def test_status_filter(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(statuses=("done", "skipped")))
    assert [r["status"] for r in read_lines(out)] == ["done", "skipped"]
    assert summary.articles == 2


def test_label_filter_keeps_articles_drops_other_spans(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(labels=("CLAIM",)))
    records = read_lines(out)
    assert len(records) == 4
    assert {s["label"] for r in records for s in r["spans"]} == {"CLAIM"}
    assert summary.spans_per_label == {"CLAIM": 3}
    export_jsonl(dataset, out, ExportOptions(labels=("NO_SUCH_LABEL",)))
    assert all(r["spans"] == [] for r in read_lines(out))


def test_annotator_filter(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(annotators=("bob", "dave")))
    spans = [s for r in read_lines(out) for s in r["spans"]]
    assert {s["annotator"] for s in spans} == {"bob", "dave"}
    assert summary.spans_per_label == {"PERSON": 4}


def test_filters_combine(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    export_jsonl(dataset, out, ExportOptions(statuses=("done",), labels=("PERSON",), annotators=("alice",)))
    (rec,) = read_lines(out)
    assert sorted(s["text"] for s in rec["spans"]) == ["Guillaume Lample", "Hugo Touvron", "Xavier Martinet"]


# --- split -----------------------------------------------------------------------------------------


@pytest.fixture
def thousand(store: Store) -> Store:
    statuses = ("new", "done")
    arts = [NewArticle(text=f"Article number {i}: Anna Keller met Valley Bank.", title=f"A{i}",
                       status=statuses[i % 2],
                       spans=[{"start": 20 + len(str(i)), "end": 31 + len(str(i)), "label": "PERSON"}])
            for i in range(1000)]
    for first in range(0, 1000, 250):
        store_articles(store, arts[first:first + 250])
    return store


def test_split_ratios_and_determinism(thousand: Store, tmp_path: Path) -> None:
    options = ExportOptions(split=(0.8, 0.1, 0.1), seed=13)
    out = tmp_path / "s.jsonl"
    summary = export_jsonl(thousand, out, options)
    records = read_lines(out)
    assert list(records[0])[-1] == "split"
    counts = {name: sum(r["split"] == name for r in records) for name in ("train", "dev", "test")}
    assert counts == summary.per_split
    assert sum(counts.values()) == 1000
    # Binomial spread for n=1000 is about 13 (train) and 9.5 (dev, test); allow 4 sigma.
    assert abs(counts["train"] - 800) < 52 and abs(counts["dev"] - 100) < 38 and abs(counts["test"] - 100) < 38
    first = {r["id"]: r["split"] for r in records}

    # Same split again, and with a status filter the remaining articles keep theirs.
    export_jsonl(thousand, out, options)
    assert {r["id"]: r["split"] for r in read_lines(out)} == first
    export_jsonl(thousand, out, ExportOptions(split=(0.8, 0.1, 0.1), seed=13, statuses=("done",)))
    filtered = {r["id"]: r["split"] for r in read_lines(out)}
    assert len(filtered) == 500 and all(first[uid] == s for uid, s in filtered.items())
    # And the same in other formats.
    export_jsonl(thousand, out, ExportOptions(format="spacy", split=(0.8, 0.1, 0.1), seed=13))
    assert {r["meta"]["id"]: r["split"] for r in read_lines(out)} == first

    # Another seed shuffles differently.
    export_jsonl(thousand, out, ExportOptions(split=(0.8, 0.1, 0.1), seed=14))
    other = {r["id"]: r["split"] for r in read_lines(out)}
    assert sum(first[u] != other[u] for u in first) > 100


def test_split_for_edges() -> None:
    assert split_for("abc", 1, (1.0, 0.0, 0.0)) == "train"
    assert split_for("abc", 1, (0.0, 0.0, 1.0)) == "test"
    assert {split_for(f"u{i}", 3, (0.0, 1.0, 0.0)) for i in range(50)} == {"dev"}
    assert split_for("abc", 1, (0.5, 0.25, 0.25)) == split_for("abc", 1, (0.5, 0.25, 0.25))


def test_split_files(thousand: Store, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    summary = export_jsonl(thousand, out, ExportOptions(split=(0.7, 0.3, 0.0), split_files=True))
    train, dev, test = (tmp_path / f"export.{name}.jsonl" for name in ("train", "dev", "test"))
    assert summary.paths == [train, dev, test]
    assert not out.exists()
    assert test.read_bytes() == b""  # ratio 0: empty, so no older test file can linger
    split_lines = {name: read_lines(p) for name, p in (("train", train), ("dev", dev))}
    assert {k: len(v) for k, v in split_lines.items()} == {"train": summary.per_split["train"],
                                                          "dev": summary.per_split["dev"]}
    assert all("split" not in r for rs in split_lines.values() for r in rs)
    # The files together hold what one file with a "split" field holds.
    single = tmp_path / "single.jsonl"
    export_jsonl(thousand, single, ExportOptions(split=(0.7, 0.3, 0.0)))
    for rec in read_lines(single):
        name = rec.pop("split")
        assert rec in split_lines[name]


# --- atomic writes -----------------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_cancel_leaves_existing_target_untouched(thousand: Store, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    out.write_bytes(b"previous export\n")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        export_jsonl(thousand, out, ExportOptions(), cancel=token)
    assert out.read_bytes() == b"previous export\n"
    assert leftovers(tmp_path) == []


def test_cancel_midway_with_split_files(store: Store, tmp_path: Path) -> None:
    store_articles(store, [NewArticle(text=f"Text {i} about Meta.") for i in range(2500)])
    out = tmp_path / "export.jsonl"
    train = tmp_path / "export.train.jsonl"
    train.write_bytes(b"old train\n")
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int, item: str) -> None:
        seen.append(done)
        if done >= 1000:
            token.cancel()  # after the first batch has been written to the temporary files

    with pytest.raises(Cancelled):
        export_jsonl(store, out, ExportOptions(split=(0.5, 0.5, 0.0), split_files=True), progress, token)
    assert seen == [0, 1000]
    assert train.read_bytes() == b"old train\n"
    assert not (tmp_path / "export.dev.jsonl").exists()
    assert leftovers(tmp_path) == []


def test_failure_midway_leaves_target_untouched(thousand: Store, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "export.jsonl"
    out.write_bytes(b"previous export\n")
    calls = 0
    real = orjson.dumps

    def failing(*args: Any, **kwargs: Any) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 700:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(exporter.orjson, "dumps", failing)
    with pytest.raises(OSError, match="No space left"):
        export_jsonl(thousand, out, ExportOptions())
    assert out.read_bytes() == b"previous export\n"
    assert leftovers(tmp_path) == []


def test_missing_folder_is_an_os_error(dataset: Store, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        export_jsonl(dataset, tmp_path / "no" / "such" / "x.jsonl", ExportOptions())


def test_inconsistent_span_text_stops_the_export(dataset: Store, tmp_path: Path) -> None:
    with dataset.begin() as conn:
        conn.execute(text("UPDATE span SET text = 'Hugo Touvrom' WHERE text = 'Hugo Touvron' AND annotator = 'bob'"))
    out = tmp_path / "export.jsonl"
    out.write_bytes(b"previous export\n")
    with pytest.raises(ExportError, match=r"says 'Hugo Touvrom' but the text there is 'Hugo Touvron'"):
        export_jsonl(dataset, out, ExportOptions())
    assert out.read_bytes() == b"previous export\n"
    assert leftovers(tmp_path) == []


def test_export_replaces_an_existing_file_and_keeps_its_mode(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "export.jsonl"
    out.write_bytes(b"old\n")
    out.chmod(0o640)
    export_jsonl(dataset, out, ExportOptions())
    assert out.read_bytes() != b"old\n" and len(read_lines(out)) == 4
    assert out.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.jsonl"
    export_jsonl(dataset, fresh, ExportOptions())
    assert fresh.stat().st_mode & 0o777 == 0o644


# --- streaming ----------------------------------------------------------------------------------------


def build_many(store: Store, n: int, offset: int = 0) -> None:
    filler = " ".join(["The council met to discuss the harbour budget and the new bridge."] * 30)
    for first in range(offset, offset + n, 1000):
        arts = []
        for i in range(first, min(offset + n, first + 1000)):
            body = f"Report {i}. Anna Keller of Valley Bank said the figures hold. {filler}"
            arts.append(NewArticle(text=body, spans=[
                {"start": body.index("Anna"), "end": body.index("Anna") + 11, "label": "PERSON"},
                {"start": body.index("Valley"), "end": body.index("Valley") + 11, "label": "ORG"},
                {"start": body.index("Anna"), "end": body.index(" hold.") + 6, "label": "CLAIM",
                 "attributes": {"claimant": "Anna Keller", "verdict": "true", "note": ""}},
            ]))
        store_articles(store, arts)


@pytest.mark.parametrize("cached", [True, False], ids=["span-json", "span-rows"])
def test_export_reads_in_batches(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 cached: bool) -> None:
    build_many(store, 3000)
    if not cached:
        with store.begin() as conn:
            conn.execute(text("DELETE FROM article_span_json"))
    queries: list[str] = []
    real_fetch = exporter._fetch

    def counting(conn: Any, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows = real_fetch(conn, sql, params)
        kind = "spans" if sql.startswith("SELECT span.") else "articles"
        queries.append(kind)
        assert len(rows) <= exporter.BATCH * (3 if kind == "spans" else 1)
        return rows

    monkeypatch.setattr(exporter, "_fetch", counting)
    progress: list[tuple[int, int]] = []
    summary = export_jsonl(store, tmp_path / "x.jsonl", ExportOptions(),
                           progress=lambda done, total, item: progress.append((done, total)))
    assert summary.articles == 3000 and summary.spans_per_label == {"CLAIM": 3000, "ORG": 3000, "PERSON": 3000}
    # Three batches, then a last article query that finds nothing. Each batch reads its span
    # rows in ONE query, unless every article's spans come ready-made (span_json).
    per_batch = ["articles"] if cached else ["articles", "spans"]
    assert queries == per_batch * 3 + ["articles"]
    assert progress == [(0, 3000), (1000, 3000), (2000, 3000), (3000, 3000)]


@pytest.mark.slow
def test_memory_does_not_grow_with_dataset_size(tmp_path: Path) -> None:
    def peak_for(store: Store) -> int:
        tracemalloc.start()
        try:
            export_jsonl(store, tmp_path / "x.jsonl", ExportOptions())
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    with open_store(tmp_path / "small.sqlite") as small, open_store(tmp_path / "large.sqlite") as large:
        build_many(small, 1000)
        build_many(large, 4000)
        peak_small, peak_large = peak_for(small), peak_for(large)
    size_large = (tmp_path / "x.jsonl").stat().st_size
    # One batch in memory at a time: four times the data, about the same peak, far below the output size.
    assert peak_large < peak_small * 1.5
    assert peak_large < size_large / 2


def test_filtered_queries_stay_within_the_batch(store: Store) -> None:
    """Query plans that would rescan the rest of the dataset for every batch make a filtered
    export quadratic; these options once picked such plans."""
    labels = [(3, "CLAIM"), (2, "ORG"), (1, "PERSON")]
    driver = store.engine.raw_connection()
    try:
        def plan(sql: str, params: dict[str, Any]) -> str:
            rows = driver.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()  # type: ignore[attr-defined]
            return " | ".join(str(r[-1]) for r in rows)

        for statuses in [("done",), ("done", "new")]:
            sql, params = exporter._articles_sql(ExportOptions(statuses=statuses))
            assert "TEMP B-TREE" not in plan(sql, {**params, "last": 0})
        for options in [ExportOptions(labels=("ORG",)), ExportOptions(labels=("ORG",), annotators=("a",)),
                        ExportOptions(statuses=("done", "new"), labels=("ORG",))]:
            sql, params = exporter._spans_sql(options, labels)
            shown = plan(sql, {**params, "lo": 1, "hi": 1000})
            assert "ix_span_label" not in shown, shown
    finally:
        driver.close()
