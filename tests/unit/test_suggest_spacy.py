"""Suggestions from a spaCy pipeline (app.core.suggest.spacy_source), with a tiny pipeline trained here."""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.core.settings import Settings
from app.core.suggest import spacy_source, train_suggester
from app.core.suggest.spacy_source import (
    CombinedSuggester,
    PipelineUnavailable,
    SpacySuggester,
    default_label_map,
    installed_pipelines,
    suggestions_from_doc,
    with_pipeline,
)

spacy = pytest.importorskip("spacy")

TRAIN = [
    ("Alice Smith works at Acme today.", [("Alice Smith", "PERSON"), ("Acme", "ORG")]),
    ("Bob Jones joined Globex last year.", [("Bob Jones", "PERSON"), ("Globex", "ORG")]),
    ("Acme hired Carol White in May.", [("Acme", "ORG"), ("Carol White", "PERSON")]),
    ("Globex says Dan Brown left.", [("Globex", "ORG"), ("Dan Brown", "PERSON")]),
    ("Eve Black visited Paris with Acme.", [("Eve Black", "PERSON"), ("Paris", "GPE"), ("Acme", "ORG")]),
    ("Frank Green flew to Paris.", [("Frank Green", "PERSON"), ("Paris", "GPE")]),
]
TEXT = "Alice Smith works at Acme today."
ROOT = Path(__file__).resolve().parents[2]


def _offsets(text: str, labelled: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    return [(text.index(surface), text.index(surface) + len(surface), label) for surface, label in labelled]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    """A blank English pipeline with an entity recogniser that has learnt TRAIN by heart, saved to a folder."""
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    random.seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    examples = [Example.from_dict(nlp.make_doc(text), {"entities": _offsets(text, labelled)})
                for text, labelled in TRAIN]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(30):
        random.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("pipeline") / "tiny_ner"
    nlp.to_disk(path)
    return path


def found(suggest, text: str) -> list[tuple[str, str]]:
    return [(text[s["start"] : s["end"]], s["label"]) for s in suggest(text)]


def test_a_pipeline_loaded_from_a_folder_suggests_with_the_dataset_labels(pipeline):
    suggest = SpacySuggester(pipeline, default_label_map(["PERSON", "ORGANIZATION", "CLAIM"]))
    assert found(suggest, TEXT) == [("Alice Smith", "PERSON"), ("Acme", "ORGANIZATION")]
    assert all(s["score"] == 1.0 for s in suggest(TEXT))


def test_labels_the_dataset_lacks_are_dropped(pipeline):
    text = "Eve Black visited Paris with Acme."
    everything = SpacySuggester(pipeline, default_label_map(["PERSON", "ORG", "GPE"]))
    assert ("Paris", "GPE") in found(everything, text)
    assert found(SpacySuggester(pipeline, default_label_map(["PERSON", "ORG"])), text) == [
        ("Eve Black", "PERSON"), ("Acme", "ORG")]
    assert found(SpacySuggester(pipeline, {"ORG": "COMPANY"}), text) == [("Acme", "COMPANY")]


def test_default_label_map_maps_person_and_org_by_name():
    assert default_label_map(["Person", "Organisation", "LOC"]) == {
        "Person": "Person", "Organisation": "Organisation", "LOC": "LOC",
        "PERSON": "Person", "PER": "Person", "ORG": "Organisation", "ORGANIZATION": "Organisation",
        "ORGANISATION": "Organisation"}
    assert default_label_map(["CLAIM"]) == {"CLAIM": "CLAIM"}


def test_entities_are_widened_to_whole_tokens_and_overlaps_after_widening_dropped():
    nlp = spacy.blank("en")
    text = "Jean-Luc met Acme's boss"
    doc = nlp.make_doc(text)
    # spaCy's own token boundaries here: "Jean", "-", "Luc" … the entity covers "Luc" and then "-Luc" again.
    luc = text.index("Luc")
    doc.ents = [doc.char_span(luc, luc + 3, label="PERSON"), doc.char_span(text.index("Acme"), text.index("'s"),
                                                                           label="ORG")]
    assert [(text[s["start"] : s["end"]], s["label"]) for s in suggestions_from_doc(doc, {"PERSON": "PERSON",
                                                                                        "ORG": "ORG"})] == [
        ("Jean-Luc", "PERSON"), ("Acme", "ORG")]
    doc.ents = []
    doc.spans["sc"] = [doc.char_span(0, 4, label="PERSON"), doc.char_span(5, 8, label="PERSON")]
    doc.ents = list(doc.spans["sc"])
    assert [s["start"] for s in suggestions_from_doc(doc, {"PERSON": "PERSON"})] == [0]  # both are in "Jean-Luc"


def test_a_pipeline_s_span_scores_are_used_when_it_keeps_them():
    doc = spacy.blank("en")("Acme and Globex")
    doc.ents = [doc.char_span(0, 4, label="ORG"), doc.char_span(9, 15, label="ORG")]
    doc.spans["sc"] = [doc.char_span(0, 4, label="ORG")]
    doc.spans["sc"].attrs["scores"] = [0.25]
    assert [s["score"] for s in suggestions_from_doc(doc, {"ORG": "ORG"})] == [0.25, 1.0]


def test_a_missing_pipeline_is_named_with_what_to_do():
    with pytest.raises(PipelineUnavailable, match=r"en_core_web_zz is not installed.*python -m spacy download "
                                                  r"en_core_web_zz.*Settings"):
        SpacySuggester("en_core_web_zz", {"ORG": "ORG"})("Acme")


def test_a_folder_without_a_pipeline_is_named(tmp_path):
    with pytest.raises(PipelineUnavailable, match=rf"{tmp_path}.*does not hold a spaCy pipeline"):
        SpacySuggester(tmp_path, {"ORG": "ORG"})("Acme")


def test_without_spacy_there_are_no_pipelines_and_a_clear_message(monkeypatch):
    monkeypatch.setattr(spacy_source, "spacy_installed", lambda: False)
    assert installed_pipelines() == []
    with pytest.raises(PipelineUnavailable, match=r"en_core_web_sm need spaCy, which is not installed.*pip install"):
        SpacySuggester("en_core_web_sm", {"ORG": "ORG"})("Acme")


def test_a_pipeline_without_an_entity_recogniser_or_the_dataset_labels_is_refused(tmp_path, pipeline):
    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(PipelineUnavailable, match="does not recognise entities"):
        SpacySuggester(tmp_path / "blank", {"ORG": "ORG"})("Acme")
    with pytest.raises(PipelineUnavailable, match="finds GPE, ORG, PERSON, none of which is a label of this dataset"):
        SpacySuggester(pipeline, default_label_map(["CLAIM"]))("Acme")


def test_installed_pipelines_are_the_spacy_models_entry_points(monkeypatch):
    entries = [SimpleNamespace(name="en_core_web_sm"), SimpleNamespace(name="de_core_news_sm")]
    monkeypatch.setattr(spacy_source.importlib.metadata, "entry_points",
                        lambda group: entries if group == "spacy_models" else [])
    assert installed_pipelines() == ["de_core_news_sm", "en_core_web_sm"]


def test_the_suggester_survives_a_pickle_round_trip_before_and_after_loading(pipeline):
    suggest = SpacySuggester(pipeline, default_label_map(["PERSON", "ORG"]))
    assert found(pickle.loads(pickle.dumps(suggest)), TEXT) == found(suggest, TEXT)
    again = pickle.loads(pickle.dumps(suggest))  # loaded now: the pipeline itself is left behind
    assert again._nlp is None and found(again, TEXT) == [("Alice Smith", "PERSON"), ("Acme", "ORG")]


def test_the_dataset_source_keeps_the_dataset_suggester():
    dataset = train_suggester([{"text": "Acme", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}])
    assert with_pipeline(dataset, Settings()) is dataset
    assert with_pipeline(dataset, Settings(suggestion_source="spacy:")) is dataset


def test_the_combined_suggester_gives_the_dataset_spans_precedence(pipeline):
    # The dataset knows "Smith works" as an ORG (a bad label, but the annotator's): it wins over the
    # pipeline's overlapping "Alice Smith"; the pipeline's "Acme" overlaps nothing and fills in.
    dataset = train_suggester([{"text": "Smith works", "spans": [{"start": 0, "end": 11, "label": "ORG"}]}],
                              starter=False)
    combined = with_pipeline(dataset, Settings(suggestion_source=f"spacy:{pipeline}"), ["PERSON", "ORG"])
    assert isinstance(combined, CombinedSuggester)
    assert found(combined, TEXT) == [("Smith works", "ORG"), ("Acme", "ORG")]
    restored = pickle.loads(pickle.dumps(combined))
    assert found(restored, TEXT) == found(combined, TEXT)
    assert combined.describe() == f"{dataset.describe()} + spaCy pipeline {pipeline}"


def test_combining_keeps_every_first_span_and_only_non_overlapping_second_ones():
    first = [{"start": 10, "end": 20, "label": "A", "score": 1.0}, {"start": 30, "end": 40, "label": "A", "score": 1.0}]
    second = [{"start": s, "end": e, "label": "B", "score": 1.0} for s, e in
              [(0, 5), (5, 10), (8, 12), (20, 30), (25, 31), (39, 45), (40, 50), (12, 18)]]
    combined = CombinedSuggester(lambda _t: list(first), lambda _t: second)
    assert [(s["start"], s["end"], s["label"]) for s in combined("")] == [
        (0, 5, "B"), (5, 10, "B"), (10, 20, "A"), (20, 30, "B"), (30, 40, "A"), (40, 50, "B")]


def test_a_pipeline_that_cannot_be_used_leaves_the_dataset_suggestions_and_says_why(caplog):
    dataset = train_suggester([{"text": "Acme", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}])
    combined = with_pipeline(dataset, Settings(suggestion_source="spacy:en_core_web_zz"))
    assert combined.problem is None
    assert found(combined, "Acme hired Alice Smith.") == [("Acme", "ORG")]
    assert "en_core_web_zz is not installed" in combined.problem
    assert "en_core_web_zz is not installed" in caplog.text
    assert found(combined, "Acme again") == [("Acme", "ORG")]  # not tried again


@pytest.mark.slow
def test_importing_the_source_and_listing_pipelines_loads_no_spacy():
    code = ("import sys\n"
            "from app.core.suggest.spacy_source import installed_pipelines\n"
            "import app.widgets.settings_dialog\n"
            "installed_pipelines()\n"
            "sys.exit('spacy' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_string_rejected_for_good_is_not_suggested_by_the_pipeline_either(pipeline):
    dataset = train_suggester([{"text": "Alice Smith", "spans": [{"start": 0, "end": 11, "label": "PERSON"}]}],
                              rejected=[("Acme", "ORG"), ("Acme", "ORG")], starter=False)
    combined = with_pipeline(dataset, Settings(suggestion_source=f"spacy:{pipeline}"), ["PERSON", "ORG"])
    alone = with_pipeline(train_suggester([], starter=False), Settings(suggestion_source=f"spacy:{pipeline}"),
                          ["PERSON", "ORG"])
    assert ("Acme", "ORG") in found(alone, TEXT)
    assert ("Acme", "ORG") not in found(combined, TEXT)
    assert ("Alice Smith", "PERSON") in found(combined, TEXT)
