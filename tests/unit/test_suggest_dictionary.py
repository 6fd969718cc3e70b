"""The dictionary suggester learned from a dataset's labels (app.core.suggest.learn.train_dictionary).

Its rules are tested without score cut-offs; which of them a suggester keeps is chosen
on held-out documents (tests/unit/test_suggest_learn.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.suggest.dictionary import DictionarySuggester
from app.core.suggest.learn import train_dictionary, valid_documents
from app.core.suggest.tokens import tokenize


def learn_dictionary(docs: list[dict[str, Any]]) -> DictionarySuggester:
    return train_dictionary(valid_documents(docs))


def doc(text: str, *labelled: tuple[str, str]) -> dict[str, Any]:
    """A document whose spans are the first occurrence of each (surface, label)."""
    spans = []
    for surface, label in labelled:
        start = text.index(surface)
        spans.append({"start": start, "end": start + len(surface), "label": label})
    return {"text": text, "spans": spans, "meta": {"ignored": True}}


def found(suggest: Any, text: str) -> list[tuple[str, str]]:
    suggestions = suggest(text)
    for s in suggestions:
        assert 0.0 <= s["score"] <= 1.0
    return [(text[s["start"] : s["end"]], s["label"]) for s in suggestions]


def test_tokens_keep_names_whole_and_split_possessives() -> None:
    text = "O'Brien met Jean-Luc at Meta's office and Meta’s lab."
    tokens = tokenize(text)
    assert [t.text for t in tokens][:7] == ["O'Brien", "met", "Jean-Luc", "at", "Meta", "'s", "office"]
    assert "’s" in [t.text for t in tokens]
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_a_labelled_string_is_suggested_with_its_majority_label() -> None:
    suggest = learn_dictionary(
        [
            doc("Jordan won.", ("Jordan", "PERSON")),
            doc("Jordan signed.", ("Jordan", "GPE")),
            doc("Then Jordan left.", ("Jordan", "PERSON")),
            doc("Paris and Lyon.", ("Paris", "GPE"), ("Lyon", "GPE")),
        ]
    )
    assert found(suggest, "We saw Jordan in Paris.") == [("Jordan", "PERSON"), ("Paris", "GPE")]


def test_a_tie_between_labels_goes_to_the_alphabetically_first() -> None:
    suggest = learn_dictionary([doc("Apple fell.", ("Apple", "ORG")), doc("Apple rose.", ("Apple", "COMPANY"))])
    assert found(suggest, "Apple rose.") == [("Apple", "COMPANY")]


def test_matches_are_the_longest_from_the_left_over_whole_tokens() -> None:
    suggest = learn_dictionary(
        [doc("New York and New York Times and York.", ("New York Times", "ORG"), ("New York", "GPE"))]
    )
    assert found(suggest, "The New York Times is in New York, not Yorkshire.") == [
        ("New York Times", "ORG"),
        ("New York", "GPE"),
    ]


def test_case_is_ignored_only_where_the_text_capitalises() -> None:
    suggest = learn_dictionary([doc("Meta and apple pie.", ("Meta", "ORG"), ("apple", "FOOD"))])
    assert found(suggest, "META, Meta and meta-analysis; the meta view.") == [("META", "ORG"), ("Meta", "ORG")]
    assert found(suggest, "An apple, not Apple.") == [("apple", "FOOD")]


def test_possessives_are_left_out_of_the_suggestion() -> None:
    suggest = learn_dictionary([doc("Meta’s plan.", ("Meta’s", "ORG"))])
    text = "Meta's lab and Meta’s plan."
    assert found(suggest, text) == [("Meta", "ORG"), ("Meta", "ORG")]


def test_first_and_last_names_of_known_people_are_people() -> None:
    suggest = learn_dictionary([doc("Guillaume Lample founded it.", ("Guillaume Lample", "PERSON"))])
    assert found(suggest, "Said Lample, Guillaume agreed.") == [("Lample", "PERSON"), ("Guillaume", "PERSON")]


def test_a_name_part_labelled_otherwise_more_often_keeps_its_label() -> None:
    docs = [doc("Jordan Smith came.", ("Jordan Smith", "PERSON"))]
    docs += [doc(f"In Jordan {i}.", ("Jordan", "GPE")) for i in range(2)]
    assert found(learn_dictionary(docs), "From Jordan.") == [("Jordan", "GPE")]


def test_an_organisation_is_learned_without_its_corporate_suffix() -> None:
    suggest = learn_dictionary(
        [doc("Acme Corp. and Initech, Inc. sued.", ("Acme Corp.", "ORG"), ("Initech, Inc.", "ORG"))]
    )
    assert found(suggest, "Both Acme and Initech lost.") == [("Acme", "ORG"), ("Initech", "ORG")]


def test_a_match_extends_over_adjacent_names_and_initials() -> None:
    suggest = learn_dictionary([doc("Touvron wrote it.", ("Touvron", "PERSON"))])
    assert found(suggest, "The research scientist Hugo Touvron stayed.") == [("Hugo Touvron", "PERSON")]
    assert found(suggest, "A note by J. R. Touvron was read.") == [("J. R. Touvron", "PERSON")]
    assert found(suggest, "He met Touvron Jr and left.")[0] == ("Touvron Jr", "PERSON")


def test_extension_stops_at_sentences_function_words_and_common_words() -> None:
    suggest = learn_dictionary([doc("Touvron and Meta.", ("Touvron", "PERSON"), ("Meta", "ORG"))])
    assert found(suggest, "They left. Touvron stayed.") == [("Touvron", "PERSON")]
    assert found(suggest, "It was Touvron. Research went on.") == [("Touvron", "PERSON")]
    assert found(suggest, "The Touvron paper.") == [("Touvron", "PERSON")]
    assert found(suggest, "Compounding Meta's woes, compounding costs.") == [("Meta", "ORG")]
    assert found(suggest, "The senior staff at Meta. Senior Touvron left.") == [("Meta", "ORG"), ("Touvron", "PERSON")]


def test_adjacent_parts_of_a_name_are_joined() -> None:
    suggest = learn_dictionary([doc("Hugo Smith and Ann Touvron.", ("Hugo Smith", "PERSON"), ("Ann Touvron", "PERSON"))])
    assert found(suggest, "The scientist Hugo Touvron stayed.") == [("Hugo Touvron", "PERSON")]
    assert found(suggest, "Said Touvron: yes.") == [("Touvron", "PERSON")]


def test_extension_stops_at_the_next_suggestion() -> None:
    suggest = learn_dictionary([doc("Touvron and Meta.", ("Touvron", "PERSON"), ("Meta", "ORG"))])
    assert found(suggest, "He told Meta Touvron would go.") == [("Meta", "ORG"), ("Touvron", "PERSON")]


def test_a_suggested_name_is_suggested_again_in_the_same_text() -> None:
    suggest = learn_dictionary([doc("Timothée spoke.", ("Timothée", "PERSON"))])
    text = "Timothée Lacroix co-founded Mistral. Lacroix said so, and Timothée Lacroix agreed."
    assert found(suggest, text) == [
        ("Timothée Lacroix", "PERSON"),
        ("Lacroix", "PERSON"),
        ("Timothée Lacroix", "PERSON"),
    ]
    # Another text knows nothing of Lacroix.
    assert found(suggest, "Lacroix said so.") == []


def test_an_extended_name_is_found_again_where_extension_cannot_reach() -> None:
    suggest = learn_dictionary([doc("Touvron wrote it.", ("Touvron", "PERSON"))])
    text = "The scientist Hugo Touvron stayed.\nHUGO TOUVRON'S TEAM LEFT"
    # Capitals do not extend a match, yet the name was suggested earlier in the text.
    assert found(suggest, text) == [("Hugo Touvron", "PERSON"), ("HUGO TOUVRON", "PERSON")]


def test_strings_left_unlabelled_more_often_than_labelled_are_dropped() -> None:
    docs = [doc("Apple sued Google.", ("Apple", "ORG"), ("Google", "ORG"))]
    docs += [doc("Apple pie and Apple tart; Google it.", ("Google", "ORG")), doc("Google it.")]
    suggest = learn_dictionary(docs)
    assert found(suggest, "Apple and Google met.") == [("Google", "ORG")]
    scores = {s["label"]: s["score"] for s in suggest("Google")}
    assert scores == {"ORG": pytest.approx(2 / 3, abs=1e-3)}


def test_labels_of_long_spans_are_not_learned() -> None:
    claim = "the moon is made of green cheese and always was"
    text = f"Smith said {claim}. Smith said the moon is big."
    docs = [doc(text, ("Smith", "PERSON"), (claim, "CLAIM"), ("the moon is big", "CLAIM"))]
    assert found(learn_dictionary(docs), text) == [("Smith", "PERSON"), ("Smith", "PERSON")]
    # A single long span of a short label is skipped too.
    long_name = "The Very Long Official Name Of The Central Bank Of Somewhere"
    docs = [doc(f"{long_name} and Fed.", (long_name, "ORG"), ("Fed", "ORG"))]
    assert found(learn_dictionary(docs), f"{long_name}.") == []


def test_malformed_documents_and_spans_are_ignored() -> None:
    docs: list[dict[str, Any]] = [
        {"text": None},
        {"text": "Other", "spans": [{"start": 0, "end": 99, "label": "ORG"}, "x", {"start": "0"}]},
        {"text": "Other", "spans": None},
        doc("Meta.", ("Meta", "ORG")),
    ]
    assert found(learn_dictionary(docs), "At Meta.") == [("Meta", "ORG")]
    assert learn_dictionary([])("Anything at all.") == []


WORDS = [
    "Meta",
    "meta",
    "Hugo",
    "Touvron",
    "J.",
    "R.",
    "Acme",
    "Corp.",
    "the",
    "The",
    "O'Brien",
    "Jean-Luc",
    "’s",
    "'s",
]
PIECES = st.lists(st.sampled_from([*WORDS, " ", " ", ".", ",", "\n", "-", "'", "é", "  "]), max_size=40)


@st.composite
def training_docs(draw: st.DrawFn) -> dict[str, Any]:
    text = "".join(draw(PIECES))
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, max(len(text) - 1, 0)))
        end = draw(st.integers(start, len(text)))
        spans.append({"start": start, "end": end, "label": draw(st.sampled_from(["PERSON", "ORG", "X"]))})
    return {"text": text, "spans": spans}


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(training_docs(), max_size=5), pieces=PIECES)
def test_suggestions_are_sorted_disjoint_stripped_spans_of_the_text(
    docs: list[dict[str, Any]], pieces: list[str]
) -> None:
    text = "".join(pieces)
    assert all(text[t.start : t.end] == t.text and t.text.strip() for t in tokenize(text))
    suggestions = learn_dictionary(docs)(text)
    previous_end = 0
    for s in suggestions:
        assert previous_end <= s["start"] < s["end"] <= len(text)
        surface = text[s["start"] : s["end"]]
        assert surface and surface == surface.strip()
        assert 0.0 <= s["score"] <= 1.0
        previous_end = s["end"]
