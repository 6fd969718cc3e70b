"""The sample dataset: its shipped JSONL, and the dataset file made from it (real SQLite files)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import orjson
import pytest

from app.core.db.store import StoreError, open_store
from app.core.export.exporter import ExportOptions, export_jsonl
from app.core.ingest.sample_dataset import (
    create_sample_dataset,
    default_sample_path,
    sample_articles_path,
)
from app.core.ops import library
from app.core.ops.span_edits import set_status
from app.core.paths import data_dir
from app.resources import resource_path

DATA = Path(__file__).resolve().parents[1] / "data"

EXPECTED = {  # uid: (title start, status, number of spans)
    "sample-meta-llama-turnover": ("High turnover hits Meta’s Llama", "in_progress", 9),
    "sample-port-allerton-tidal": ("Port Allerton council backs tidal power pilot", "done", 10),
    "sample-brindlecombe-recall": ("Brindlecombe Foods recalls oat bars", "in_progress", 3),
    "sample-hallowmere-naps": ("Short afternoon naps help students remember", "new", 0),
    "sample-aldermoor-strike": ("Aldermoor Air pilots vote to strike", "new", 0),
    "sample-greywick-music": ("Greywick school board denies plan", "new", 0),
}


def records() -> list[dict]:
    return [orjson.loads(line) for line in sample_articles_path().read_bytes().splitlines()]


def test_the_sample_is_found_as_a_resource():
    assert sample_articles_path() == resource_path("sample", "sample-articles.jsonl")
    assert sample_articles_path().is_file()


def test_every_span_is_where_it_says():
    found = records()
    assert [r["id"] for r in found] == list(EXPECTED)
    for r in found:
        title, status, n_spans = EXPECTED[r["id"]]
        assert r["title"].startswith(title)
        assert r["status"] == status
        assert len(r["spans"]) == n_spans
        for span in r["spans"]:
            assert r["text"][span["start"]:span["end"]] == span["text"], (r["id"], span)
            assert span["annotator"] == "sample"
            assert span["label"] in ("PERSON", "ORG", "CLAIM")
            if span["label"] == "CLAIM":
                assert set(span["attributes"]) == {"claimant", "verdict", "note"}
                assert span["attributes"]["claimant"] and span["attributes"]["verdict"]
            else:
                assert span["attributes"] == {}
        # Spans in the order the exporter writes them.
        keys = [(s["start"], s["end"], s["label"], s["annotator"]) for s in r["spans"]]
        assert keys == sorted(keys)


def test_the_first_article_is_the_real_article_text(sample_text):
    first = records()[0]
    title, _, body = sample_text.partition("\n")
    assert first["title"] == title.strip()
    assert first["text"] in body
    assert first["text"].startswith("Meta’s pioneering Llama initiative")
    assert first["text"].endswith("where talent follows the most dynamic and open platforms.")
    assert "Register Now" not in first["text"]  # the site's advertising is left out
    assert first["meta"]["site_name"] == "Cryptopolitan"
    labelled = {(s["label"], s["text"]) for s in first["spans"]}
    assert {("PERSON", "Hugo Touvron"), ("ORG", "Mistral")} <= labelled
    # The other articles are marked as invented.
    assert all("fictional" in r["meta"]["site_name"] for r in records()[1:])


@pytest.fixture
def make_sample(monkeypatch):
    """The generator script beside the sample, loaded as a module."""
    spec = importlib.util.spec_from_file_location("make_sample", resource_path("sample", "make_sample.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_sample", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_file_is_what_the_generator_writes(make_sample):
    module = make_sample
    expected = b"".join(orjson.dumps(module.record(a), option=orjson.OPT_APPEND_NEWLINE) for a in module.articles())
    assert sample_articles_path().read_bytes() == expected, "run resources/sample/make_sample.py and commit its output"


def test_the_generator_refuses_words_that_are_not_in_the_text(make_sample):
    module = make_sample
    assert module.find("Meta and Metaverse, Meta.", "Meta", 1) == (20, 24)  # whole words only
    with pytest.raises(SystemExit):
        module.find("Meta and Metaverse", "Meta", 1)


def test_create_imports_the_articles_with_their_spans(tmp_path):
    path = tmp_path / "sample.curator.sqlite"
    assert create_sample_dataset(path) == path
    with open_store(path) as store:
        rows = library.list_articles(store, limit=100)
        assert [r.uid for r in rows] == list(EXPECTED)
        for row in rows:
            detail = library.get_article(store, row.id)
            title, status, n_spans = EXPECTED[row.uid]
            assert detail.title.startswith(title)
            assert detail.status == status
            assert len(detail.spans) == n_spans
            for span in detail.spans:
                assert detail.text[span.start:span.end] == span.text
                assert span.annotator == "sample"
        meta = library.get_article(store, rows[0].id)
        assert (meta.site_name, meta.published, meta.language) == ("Cryptopolitan", "2025-05-27", "en")
        claim = next(s for s in library.get_article(store, rows[1].id).spans if s.label == "CLAIM")
        assert claim.attributes["claimant"] == "Imogen Thackeray"
        assert library.label_counts(store) == {"PERSON": 8, "ORG": 9, "CLAIM": 5}


def test_the_sample_dataset_exports_to_the_shipped_lines(tmp_path):
    """Native format is lossless: the dataset made from the file exports back to the same bytes."""
    path = create_sample_dataset(tmp_path / "sample.sqlite")
    out = tmp_path / "again.jsonl"
    with open_store(path) as store:
        export_jsonl(store, out, ExportOptions(format="native"))
    assert out.read_bytes() == sample_articles_path().read_bytes()


def test_an_existing_sample_is_reused_with_the_users_work(tmp_path):
    path = create_sample_dataset(tmp_path / "sample.sqlite")
    with open_store(path) as store:
        first = library.list_articles(store, limit=1)[0]
        set_status(store, [first.id], "done")
    assert create_sample_dataset(path) == path
    with open_store(path) as store:
        assert library.count_articles(store) == len(EXPECTED)
        assert library.get_article(store, first.id).status == "done"


def test_an_empty_dataset_at_the_path_is_filled(tmp_path):
    path = tmp_path / "empty.sqlite"
    open_store(path).close()
    create_sample_dataset(path)
    with open_store(path) as store:
        assert library.count_articles(store) == len(EXPECTED)


def test_default_location_is_the_users_data_folder(isolated_home):
    path = create_sample_dataset()
    assert path == default_sample_path() == data_dir() / "datasets" / "sample.curator.sqlite"
    assert path.is_relative_to(isolated_home)
    with open_store(path) as store:
        assert library.count_articles(store) == len(EXPECTED)


def test_a_folder_in_the_way_is_a_store_error(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(StoreError):
        create_sample_dataset(tmp_path / "taken")
