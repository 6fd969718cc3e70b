"""The suggester learned from a dataset (app.core.suggest.learn.train_suggester): its layers
(dictionary, CRF, starter model), their cut-offs chosen on held-out documents, rejections."""

from __future__ import annotations

import pickle
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import app.core.suggest.starter as starter_module
from app.core.suggest import train_suggester
from app.core.suggest.blend import NEVER, BlendedSuggester, HeldOut, ModelLayer, choose_cutoffs, fill_in
from app.core.suggest.crf import CrfModel
from app.core.suggest.dictionary import EXTENDED, RuledSuggestion, Suggestion
from app.core.suggest.learn import (
    MIN_CRF_DOCS,
    dictionary_of,
    taught_documents,
    train_dictionary,
    valid_documents,
)
from app.core.suggest.starter import StarterLayer, load_starter, starter_label_map
from tests.unit.test_suggest_crf import pattern_docs


def doc(text: str, *labelled: tuple[str, str]) -> dict[str, Any]:
    """A document whose spans are every occurrence of each (surface, label)."""
    spans = []
    for surface, label in labelled:
        start = text.find(surface)
        while start >= 0:
            spans.append({"start": start, "end": start + len(surface), "label": label})
            start = text.find(surface, start + len(surface))
    return {"text": text, "spans": spans}


def found(suggest: Any, text: str) -> list[tuple[str, str]]:
    return [(text[s["start"] : s["end"]], s["label"]) for s in suggest(text)]


def _name(rng: random.Random) -> str:
    return rng.choice(string.ascii_uppercase) + "".join(rng.choices("aeioulnrstk", k=rng.randint(4, 7)))


@pytest.fixture(scope="module")
def pattern_model() -> CrfModel:
    return CrfModel.train(pattern_docs(60, seed=11))


class FixedLayer:
    """A layer that suggests the same spans for every text."""

    def __init__(self, rule: str, *spans: tuple[int, int, str, float]) -> None:
        self.rule = rule
        self.spans = spans

    def scored(self, text: str) -> list[RuledSuggestion]:
        return [RuledSuggestion(Suggestion(start=s, end=e, label=label, score=score), self.rule)
                for s, e, label, score in self.spans]


# The layers and their blend


def test_earlier_layers_take_precedence_and_later_ones_fill_in() -> None:
    crf = FixedLayer("crf", (0, 12, "PERSON", 0.9))
    dictionary = FixedLayer("entry", (5, 12, "PERSON", 1.0), (18, 22, "ORG", 1.0))
    text = "Hugo Touvron left Meta."
    assert found(BlendedSuggester([crf, dictionary]), text) == [("Hugo Touvron", "PERSON"), ("Meta", "ORG")]
    assert found(BlendedSuggester([dictionary, crf]), text) == [("Touvron", "PERSON"), ("Meta", "ORG")]
    # Below its cut-off the CRF's span gives way to the dictionary's.
    blended = BlendedSuggester([crf, dictionary], {("crf", "PERSON"): 0.95})
    assert found(blended, text) == [("Touvron", "PERSON"), ("Meta", "ORG")]


def test_fill_in_keeps_only_spans_that_overlap_nothing_kept() -> None:
    def span(start: int, end: int) -> Suggestion:
        return Suggestion(start=start, end=end, label="X", score=1.0)

    kept = [span(0, 4), span(10, 14)]
    new = [span(4, 6), span(3, 5), span(8, 11), span(14, 20), span(20, 25)]
    assert [(s["start"], s["end"]) for s in fill_in(kept, new)] == [(0, 4), (4, 6), (10, 14), (14, 20), (20, 25)]


def _held_out(low_scores_right: bool) -> HeldOut:
    """Twenty documents with one suggestion of score 0.95 (right) and one of 0.5
    (right or wrong) each, from the rule "entry"."""
    gold, predictions = [], []
    for _ in range(20):
        gold.append({(0, 4, "ORG"), (10, 14, "ORG")} if low_scores_right else {(0, 4, "ORG"), (30, 34, "ORG")})
        predictions.append([(0, 4, "ORG", 0.95, ("entry", "ORG"), None), (10, 14, "ORG", 0.5, ("entry", "ORG"), None)])
    return HeldOut(gold, {"dictionary": predictions})


def test_the_cutoff_chosen_on_held_out_documents_follows_their_gold_spans() -> None:
    cutoffs, result = choose_cutoffs(_held_out(low_scores_right=True), ["dictionary"])
    assert cutoffs[("entry", "ORG")] <= 0.5 and result.recall == 1.0
    cutoffs, result = choose_cutoffs(_held_out(low_scores_right=False), ["dictionary"])
    assert 0.5 < cutoffs[("entry", "ORG")] <= 0.95
    assert result.precision == 1.0 and result.recall == 0.5


def _people(with_titles: bool, count: int = 40) -> list[dict[str, Any]]:
    """Each document names a person twice, the second time by the last name alone, from
    a small pool of last names. With titles, "Professor Smith" is the name "Smith" (the
    title is not labelled); without, "Anna Smith" is labelled whole."""
    rng = random.Random(5)
    last_names = [_name(rng) for _ in range(6)]
    docs = []
    for _ in range(count):
        last = rng.choice(last_names)
        first = "Professor" if with_titles else _name(rng)
        text = f"Then we met {first} {last} at length. Later {last} left the hall."
        start = len("Then we met ") if not with_titles else len(f"Then we met {first} ")
        again = text.rindex(last)
        spans = [(start, len(f"Then we met {first} {last}")), (again, again + len(last))]
        docs.append({"text": text, "spans": [{"start": s, "end": e, "label": "PERSON"} for s, e in spans]})
    return docs


def test_a_rules_cutoff_on_a_dataset_is_chosen_from_its_own_held_out_documents() -> None:
    names = train_suggester(_people(with_titles=False), starter=False, crf=False)
    titles = train_suggester(_people(with_titles=True), starter=False, crf=False)
    # Extending "Smith" over the word before it finds first names in one dataset, titles in the other.
    assert names.cutoffs[(EXTENDED, "PERSON")] < 1.0
    assert titles.cutoffs[(EXTENDED, "PERSON")] == NEVER
    known = _people(with_titles=False)[0]["spans"][1]
    last = _people(with_titles=False)[0]["text"][known["start"] : known["end"]]
    assert found(titles, f"Then we met Professor {last}. {last} left.") == [(last, "PERSON"), (last, "PERSON")]
    assert found(names, f"Then we met Zed {last}. {last} left.") == [(f"Zed {last}", "PERSON"), (last, "PERSON")]


def test_the_crf_finds_names_no_document_labelled_when_it_beats_the_dictionary() -> None:
    docs = pattern_docs(MIN_CRF_DOCS)
    text = "Yesterday Dr. Zebulon Quaxley joined Vorpal Industries as chief."
    assert found(train_suggester(docs, starter=False, crf=False), text) == []
    suggest = train_suggester(docs, starter=False)
    assert "crf" in suggest.describe().splitlines()[0]
    assert found(suggest, text) == [("Zebulon Quaxley", "PERSON"), ("Vorpal Industries", "ORG")]


def _mixed(count: int = 30) -> list[dict[str, Any]]:
    """Persons, organisations with corporate suffixes, and names some documents leave unlabelled."""
    rng = random.Random(3)
    names = [_name(rng) for _ in range(8)]
    docs = []
    for index in range(count):
        first, last, company = rng.sample(names, 3)
        text = f"{first} {last} of {company} Corp. met {last}'s team. {company} grew, {first} said."
        labelled = [(f"{first} {last}", "PERSON"), (f"{company} Corp.", "ORG")]
        if index % 3:
            labelled.append((f"{last}'s", "PERSON"))
        docs.append(doc(text, *labelled))
    return docs


def test_documents_read_once_teach_every_hold_out_what_reading_them_again_would() -> None:
    documents = valid_documents(_mixed())
    taught = taught_documents(documents)  # shared by the folds, as train_suggester shares it
    rejected = [(("\x00" + documents[0][0].split()[0].casefold(),), "PERSON")]
    for fold in range(5):
        kept = [index for index in range(len(documents)) if index % 5 != fold]
        shared = dictionary_of([taught[index] for index in kept], rejected)
        alone = train_dictionary([documents[index] for index in kept], rejected)
        assert shared.entries == alone.entries
        assert len(shared) > 5
        for index in range(fold, len(documents), 5):  # the held-out texts, their tokens given or not
            text = documents[index][0]
            assert shared.scored(text, taught[index].tokens, taught[index].keys) == alone.scored(text)


def test_no_crf_below_its_minimum_of_documents() -> None:
    suggest = train_suggester(pattern_docs(MIN_CRF_DOCS - 1), starter=False)
    assert "crf" not in suggest.describe().splitlines()[0]


# Rejections


def test_rejected_strings_are_dropped_from_the_dictionary() -> None:
    docs = [doc("Apple sued Google.", ("Apple", "ORG"), ("Google", "ORG"))]
    assert len(train_dictionary(valid_documents(docs))) == 2
    dictionary = train_dictionary(valid_documents(docs), [(("\x00apple",), "ORG")] * 2)
    assert found(dictionary, "Apple and Google met.") == [("Google", "ORG")]
    # One rejection against one label: the string stays, less sure.
    dictionary = train_dictionary(valid_documents(docs), [(("\x00apple",), "ORG")])
    assert dict(found(dictionary, "Apple met.")) == {"Apple": "ORG"}


def test_strings_rejected_more_often_than_labelled_are_not_suggested() -> None:
    docs = [doc(f"Apple sued Google on day {i}.", ("Apple", "ORG"), ("Google", "ORG")) for i in range(3)]
    text = "Apple and Google met."
    assert found(train_suggester(docs, starter=False), text) == [("Apple", "ORG"), ("Google", "ORG")]
    rejected = [("Apple", "ORG")] * 4 + [("Google", "PERSON")] * 9 + [("bad",)]  # type: ignore[list-item]
    suggest = train_suggester(docs, rejected=rejected, starter=False)
    assert found(suggest, text) == [("Google", "ORG")]


# The starter model


@pytest.fixture
def no_shipped_starter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def missing(*parts: str) -> Path:
        raise FileNotFoundError("/".join(parts))

    monkeypatch.setattr(starter_module, "resource_path", missing)
    load_starter.cache_clear()
    yield
    load_starter.cache_clear()


def test_load_starter_is_none_without_the_file_and_the_model_with_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pattern_model: CrfModel, no_shipped_starter: None
) -> None:
    assert load_starter() is None
    assert found(train_suggester([]), "Yesterday Dr. Ann Bell joined Kor Industries as chief.") == []
    pattern_model.save(tmp_path / "starter.crfsuite")
    monkeypatch.setattr(starter_module, "resource_path", lambda *parts: tmp_path / "starter.crfsuite")
    load_starter.cache_clear()
    model = load_starter()
    assert model is not None and model.to_bytes() == pattern_model.to_bytes()
    suggest = train_suggester([])
    assert found(suggest, "Yesterday Dr. Ann Bell joined Kor Industries as chief.") == [
        ("Ann Bell", "PERSON"),
        ("Kor Industries", "ORG"),
    ]
    # The shipped starter travels by name, not by its bytes.
    layer = suggest.layers[0]
    assert isinstance(layer, StarterLayer)
    assert len(pickle.dumps(layer)) < 500
    assert pickle.loads(pickle.dumps(suggest))("Dr. Ann Bell joined Kor Industries.") == suggest(
        "Dr. Ann Bell joined Kor Industries."
    )


def test_starter_labels_are_mapped_to_the_datasets_by_name() -> None:
    assert starter_label_map(["ORG", "PERSON"], None) == {"ORG": "ORG", "PERSON": "PERSON"}
    assert starter_label_map(["ORG", "PERSON"], {"Per", "Organisation", "CLAIM"}) == {
        "ORG": "Organisation",
        "PERSON": "Per",
    }
    assert starter_label_map(["ORG", "PERSON"], {"CLAIM", "GPE"}) == {}


def test_the_starter_speaks_the_datasets_labels_or_stays_silent(pattern_model: CrfModel) -> None:
    text = "Yesterday Dr. Ann Bell joined Kor Industries as chief."
    assert found(train_suggester([], starter=pattern_model), text) == [("Ann Bell", "PERSON"), ("Kor Industries", "ORG")]
    assert found(train_suggester([], starter=pattern_model, labels=["PER"]), text) == [("Ann Bell", "PER")]
    place = [doc("Paris is big.", ("Paris", "GPE"))]
    assert found(train_suggester(place, starter=pattern_model), text) == []
    people = [doc("Yesterday Bo Li spoke.", ("Bo Li", "PER"))]
    assert found(train_suggester(people, starter=pattern_model), text) == [("Ann Bell", "PER")]
    assert found(train_suggester(people, starter=False), text) == []


def test_the_starter_fills_in_where_the_dataset_suggests_nothing(pattern_model: CrfModel) -> None:
    docs = [doc("Yesterday Bo Li spoke at Kor Industries.", ("Bo Li", "PERSON"), ("Kor Industries", "ORG"))]
    text = "Later Bo Li met Dr. Ann Bell at Kor Industries."
    assert found(train_suggester(docs, starter=pattern_model), text) == [
        ("Bo Li", "PERSON"),
        ("Ann Bell", "PERSON"),
        ("Kor Industries", "ORG"),
    ]


# The suggester travels between processes


def test_the_suggester_survives_a_pickle_round_trip(pattern_model: CrfModel) -> None:
    suggest = train_suggester(pattern_docs(MIN_CRF_DOCS), rejected=[("Dr", "PERSON")], starter=pattern_model)
    layers = {type(layer).__name__ for layer in suggest.layers}
    assert "ModelLayer" in layers and "DictionarySuggester" in layers
    text = "Yesterday Dr. Zebulon Quaxley joined Vorpal Industries as chief. Dr. Ann Bell too."
    copy = pickle.loads(pickle.dumps(suggest))
    assert copy(text) == suggest(text) and copy(text)
    assert copy.describe() == suggest.describe() and len(copy) == len(suggest) > 0


def test_model_layers_rename_and_drop_labels(pattern_model: CrfModel) -> None:
    text = "Yesterday Dr. Ann Bell joined Kor Industries as chief."
    layer = ModelLayer(pattern_model, "starter", {"ORG": "Company"})
    assert [(text[s["start"] : s["end"]], s["label"], rule) for s, rule, _ in layer.scored(text)] == [
        ("Kor Industries", "Company", "starter")
    ]
