"""The CRF's tagging from the model's weights (app.core.suggest.crf_weights) gives what
CRFsuite gives for the same model, on real text; so does ``CrfModel.predict`` either way
it tags (CRFsuite part by part for short texts, all parts at once from the weights)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pycrfsuite
import pytest

from app.core.suggest import crf, crf_weights
from app.core.suggest.crf import _FEATURES, OUTSIDE, CrfModel, _windows, sentences
from app.core.suggest.crf_weights import WordScores, marginals, read_weights, viterbi
from app.core.suggest.starter import load_starter
from app.core.suggest.tokens import tokenize

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "benchmarks" / "data" / "ner" / "gum_person_org.jsonl"
SAMPLE = ROOT / "tests" / "data" / "meta-llama-turnover.txt"


def corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(params=["part by part", "all at once"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which way ``predict`` tags, whatever the text's length."""
    monkeypatch.setattr(crf, "ALL_AT_ONCE_FROM", 10**9 if request.param == "part by part" else 0)
    return str(request.param)


@pytest.fixture(scope="module")
def trained() -> tuple[CrfModel, list[str]]:
    """A model trained on part of the corpus, and the texts of the rest."""
    docs = corpus()
    return CrfModel.train(docs[:120]), [doc["text"] for doc in docs[120:]]


def reference(model: CrfModel, text: str) -> list[tuple[int, int, str, float]]:
    """The spans CRFsuite tags: each part worth tagging given to it as feature strings,
    each span scored by the least marginal probability of its tags."""
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model.to_bytes())
    tokens = tokenize(text)
    every = _FEATURES.known([token.text for token in tokens])
    found = []
    for first, end in sentences(text, tokens):
        parts = _windows([word[2] for word in every[first:end]])
        for (start, _), sequence in zip(parts, _FEATURES.sequences(every[first:end], parts), strict=True):
            tags = tagger.tag(pycrfsuite.ItemSequence(sequence))
            i = 0
            while i < len(tags):
                if tags[i] == OUTSIDE:
                    i += 1
                    continue
                j = i + 1
                while j < len(tags) and tags[j] == "I-" + tags[i][2:]:
                    j += 1
                score = min(tagger.marginal(tags[k], k) for k in range(i, j))
                offset = first + start
                found.append((tokens[offset + i].start, tokens[offset + j - 1].end, tags[i][2:], score))
                i = j
    return found


def assert_same(model: CrfModel, text: str) -> int:
    fast = model.predict(text)
    expected = reference(model, text)
    assert [(s["start"], s["end"], s["label"]) for s in fast] == [span[:3] for span in expected]
    for suggestion, span in zip(fast, expected, strict=True):
        # Scores are rounded to 4 places: the sums' order may move one across a rounding boundary.
        assert math.isclose(suggestion["score"], round(span[3], 4), abs_tol=1.0001e-4)
    return len(fast)


def test_the_weights_are_those_crfsuite_reads(trained: tuple[CrfModel, list[str]]) -> None:
    model, _ = trained
    weights = read_weights(model.to_bytes())
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model.to_bytes())
    info = tagger.info()
    assert weights.labels == tagger.labels()
    assert {name.decode(): str(row) for name, row in weights.attributes.items()} == info.attributes
    state = info.state_features
    for (name, label), weight in state.items():  # the dump prints weights to 6 places
        row = weights.attributes[name.encode()]
        assert weights.state[row, weights.labels.index(label)] == pytest.approx(weight, abs=1e-6)
    assert np.count_nonzero(weights.state) == len(state)
    assert not weights.state[-1].any()  # the row of unknown attributes
    for (before, after), weight in info.transitions.items():
        at = weights.labels.index(before), weights.labels.index(after)
        assert weights.transition[at] == pytest.approx(weight, abs=1e-6)


def test_a_trained_model_tags_held_out_articles_as_crfsuite_does(trained: tuple[CrfModel, list[str]], way: str) -> None:
    model, texts = trained
    found = sum(assert_same(model, text) for text in texts)
    assert found > 100  # the comparison is about names, not only about their absence


def test_the_whole_corpus_as_one_text_too(trained: tuple[CrfModel, list[str]], way: str) -> None:
    """One long text: many parts of every length tagged together."""
    model, texts = trained
    assert assert_same(model, "\n\n".join(texts[:60])) > 100


class Tables:
    """Counts the tables ``viterbi`` is given (one per group of parts) and their sizes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shapes: list[tuple[int, ...]] = []
        real = crf_weights.viterbi

        def counted(scores: np.ndarray, lengths: np.ndarray, transition: np.ndarray) -> np.ndarray:
            self.shapes.append(scores.shape)
            return real(scores, lengths, transition)

        monkeypatch.setattr(crf_weights, "viterbi", counted)


def test_parts_tagged_in_many_groups_as_crfsuite_does(trained: tuple[CrfModel, list[str]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups of a few parts each, of every length, give the spans and scores of all parts at once."""
    model, texts = trained
    monkeypatch.setattr(crf, "ALL_AT_ONCE_FROM", 0)
    monkeypatch.setattr(crf_weights, "GROUP_VALUES", 2000)
    tables = Tables(monkeypatch)
    assert assert_same(model, "\n\n".join(texts[:60])) > 100
    assert len(tables.shapes) > 10
    assert len({parts for parts, _, _ in tables.shapes}) > 3  # groups of short parts hold more of them
    assert len({longest for _, longest, _ in tables.shapes}) > 3


def test_a_long_text_is_tagged_in_small_tables(trained: tuple[CrfModel, list[str]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of parts are not padded all together to the longest one."""
    model, texts = trained
    tables = Tables(monkeypatch)
    text = "\n\n".join(texts * 2)
    assert len(crf._prepared(text).parts) > 2000
    model.predict(text)
    assert len(tables.shapes) > 1
    assert max(int(np.prod(shape)) * 8 for shape in tables.shapes) <= 2 * 1024 * 1024


def test_word_scores_grow_by_doubling_with_the_same_rows(trained: tuple[CrfModel, list[str]]) -> None:
    model, texts = trained
    weights = read_weights(model.to_bytes())
    words = list(dict.fromkeys(token.text for text in texts[:20] for token in tokenize(text)))
    at_once = WordScores(weights, _FEATURES.known)
    rows = at_once.rows(words)
    batches = WordScores(weights, _FEATURES.known)
    copies = 0
    for start in range(0, len(words), 50):
        before = batches.own
        batches.rows(words[start : start + 50])
        copies += batches.own is not before
    assert copies <= len(words).bit_length()  # not once per batch
    again = batches.rows(words)
    assert np.array_equal(batches.own[again], at_once.own[rows])
    assert np.array_equal(batches.context[:, again], at_once.context[:, rows])


def test_the_starter_model_tags_as_crfsuite_does(way: str) -> None:
    starter = load_starter()
    if starter is None:
        pytest.skip("the starter model is not installed")
    texts = [SAMPLE.read_text(encoding="utf-8"), *(doc["text"] for doc in corpus()[:40])]
    assert sum(assert_same(starter, text) for text in texts) > 100


def test_viterbi_and_marginals_match_crfsuite_on_random_scores(tmp_path: Path) -> None:
    """Sequences of one attribute per item (its own weights): the scores are the weights."""
    rng = np.random.default_rng(5)
    labels = ["O", "B-A", "I-A", "B-B"]
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params({"max_iterations": 5, "feature.possible_transitions": True, "feature.possible_states": True})
    for _ in range(30):
        length = int(rng.integers(1, 9))
        trainer.append([[f"a{int(rng.integers(0, 12))}"] for _ in range(length)],
                       [labels[int(rng.integers(0, 4))] for _ in range(length)])
    path = tmp_path / "model.crfsuite"
    trainer.train(str(path))
    data = path.read_bytes()
    weights = read_weights(data)
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(data)
    sequences = [[f"a{int(rng.integers(0, 14))}" for _ in range(int(rng.integers(1, 12)))] for _ in range(40)]
    sequences.sort(key=len, reverse=True)
    lengths = np.array([len(sequence) for sequence in sequences])
    scores = np.zeros((len(sequences), lengths[0], len(weights.labels)))
    for p, sequence in enumerate(sequences):
        for t, name in enumerate(sequence):
            scores[p, t] = weights.state[weights.attributes.get(name.encode(), len(weights.attributes))]
    tags = viterbi(scores, lengths, weights.transition)
    sure = marginals(scores, lengths, weights.transition)
    for p, sequence in enumerate(sequences):
        expected = tagger.tag([[name] for name in sequence])
        assert [weights.labels[label] for label in tags[p, : len(sequence)]] == expected
        for t in range(len(sequence)):
            for label, name in enumerate(weights.labels):
                assert sure[p, t, label] == pytest.approx(tagger.marginal(name, t), abs=1e-9)


def test_short_texts_are_tagged_part_by_part_and_long_ones_all_at_once() -> None:
    starter = load_starter()
    if starter is None:
        pytest.skip("the starter model is not installed")
    text = SAMPLE.read_text(encoding="utf-8")
    short = text[:300]
    assert sum(end - first for first, end in crf._prepared(short).parts) < crf.ALL_AT_ONCE_FROM
    assert sum(end - first for first, end in crf._prepared(text).parts) >= crf.ALL_AT_ONCE_FROM
    model = CrfModel(starter.to_bytes())
    model.predict(short)
    assert model._scores is None  # the weights are not even read
    model.predict(text)
    assert model._scores is not None
