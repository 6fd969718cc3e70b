"""The shipped starter model (resources/models/starter-person-org.crfsuite) loads and finds
names; its training corpus (packaging/starter_model/corpus/) is well formed."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.suggest.starter import STARTER_FILE, load_starter
from app.resources import resource_path

MAX_BYTES = 20 * 1024 * 1024


def found(text: str) -> set[tuple[str, str]]:
    model = load_starter()
    assert model is not None, "the starter model is not installed"
    return {(text[s["start"] : s["end"]], s["label"]) for s in model.predict(text)}


def test_the_starter_model_ships_within_its_size_limit():
    path = resource_path(*STARTER_FILE)
    assert 0 < path.stat().st_size <= MAX_BYTES


def test_the_starter_model_tags_person_and_org():
    model = load_starter()
    assert model is not None
    assert model.labels == ["ORG", "PERSON"]


def test_the_starter_model_finds_well_known_names():
    assert found("Angela Merkel said the European Commission would respond.") == {
        ("Angela Merkel", "PERSON"),
        ("European Commission", "ORG"),
    }
    assert {("Tim Cook", "PERSON"), ("Apple Inc.", "ORG")} <= found(
        "Tim Cook, the chief executive of Apple Inc., spoke to reporters."
    )


def test_the_training_corpus_is_well_formed():
    corpus = Path(__file__).resolve().parents[2] / "packaging" / "starter_model" / "corpus"
    files = sorted(corpus.glob("*.jsonl"))
    assert [path.name for path in files] == ["btc.jsonl", "redocred.jsonl", "wikigold.jsonl"]
    ids = set()
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            doc = json.loads(line)
            text = doc["text"]
            assert doc["id"] not in ids and isinstance(text, str) and text, (path.name, number)
            ids.add(doc["id"])
            spans = sorted((s["start"], s["end"], s["label"]) for s in doc["spans"])
            for start, end, label in spans:
                assert 0 <= start < end <= len(text) and label in ("PERSON", "ORG"), (path.name, number)
                assert text[start:end].strip() == text[start:end], (path.name, number, text[start:end])
            for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
                assert end <= start, (path.name, number, spans)
