"""The CRF name tagger (app.core.suggest.crf)."""

from __future__ import annotations

import pickle
import random
import string
from pathlib import Path
from typing import Any

from app.core.suggest.crf import (
    MAX_SENTENCE_TOKENS,
    TRAINING_WINDOW,
    CrfModel,
    _windows,
    bio_tags,
    sentences,
    shape,
    training_sequences,
    worth_tagging,
)
from app.core.suggest.starter import load_starter
from app.core.suggest.tokens import tokenize


def _name(rng: random.Random) -> str:
    return rng.choice(string.ascii_uppercase) + "".join(rng.choices("aeioulnrstk", k=rng.randint(4, 7)))


def pattern_docs(count: int, seed: int = 3) -> list[dict[str, Any]]:
    """Documents where people are "Dr. <Name> <Name>" and organisations "<Name> Industries"."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        person = f"{_name(rng)} {_name(rng)}"
        org = f"{_name(rng)} Industries"
        text = f"Yesterday Dr. {person} joined {org} as chief. The board of {org} agreed with {person}."
        spans = []
        for surface, label in ((person, "PERSON"), (org, "ORG")):
            start = text.index(surface)
            while start >= 0:
                spans.append({"start": start, "end": start + len(surface), "label": label})
                start = text.find(surface, start + 1)
        docs.append({"text": text, "spans": spans})
    return docs


def found(model: CrfModel, text: str) -> list[tuple[str, str]]:
    return [(text[s["start"] : s["end"]], s["label"]) for s in model.predict(text)]


def test_shape_collapses_character_classes() -> None:
    assert [shape(w) for w in ("Touvron", "J.", "2024", "McDonald", "AI")] == ["Xx", "X.", "d", "XxXx", "X"]


def test_bio_tags_follow_the_spans_over_whole_tokens() -> None:
    text = "Hugo Touvron left Meta Platforms."
    tokens = tokenize(text)
    tags = bio_tags(tokens, [(0, 12, "PERSON"), (18, 32, "ORG"), (0, 4, "ORG")])
    assert tags == ["B-PERSON", "I-PERSON", "O", "B-ORG", "I-ORG", "O"]


def test_the_model_learns_a_pattern_not_only_the_strings_it_saw() -> None:
    model = CrfModel.train(pattern_docs(60))
    assert model.labels == ["ORG", "PERSON"]
    text = "Yesterday Dr. Zebulon Quaxley joined Vorpal Industries as chief."
    assert "Zebulon" not in str(pattern_docs(60))
    assert found(model, text) == [("Zebulon Quaxley", "PERSON"), ("Vorpal Industries", "ORG")]
    for suggestion in model.predict(text):
        assert 0.5 < suggestion["score"] <= 1.0


def test_training_keeps_only_the_labels_asked_for() -> None:
    model = CrfModel.train(pattern_docs(30), labels=["ORG"])
    assert model.labels == ["ORG"]
    assert [label for _, label in found(model, "Yesterday Dr. Ann Bell joined Kor Industries as chief.")] == ["ORG"]


def test_the_model_round_trips_through_bytes_files_and_pickle(tmp_path: Path) -> None:
    model = CrfModel.train(pattern_docs(30))
    text = "Yesterday Dr. Ann Bell joined Kor Industries as chief."
    expected = model.predict(text)
    assert CrfModel.from_bytes(model.to_bytes()).predict(text) == expected
    model.save(tmp_path / "model.crfsuite")
    assert CrfModel.load(tmp_path / "model.crfsuite").predict(text) == expected
    assert pickle.loads(pickle.dumps(model)).predict(text) == expected


def test_an_empty_text_has_no_spans() -> None:
    model = CrfModel.train(pattern_docs(10))
    assert model.predict("") == []
    assert model.predict("   \n ") == []


def test_sentences_end_at_stops_and_line_breaks_but_not_after_initials() -> None:
    text = "Mr. J. R. Smith left. Then Ann came!\nNew line here"
    tokens = tokenize(text)
    ranges = sentences(text, tokens)
    assert [" ".join(t.text for t in tokens[a:b]) for a, b in ranges] == [
        "Mr . J . R . Smith left .",
        "Then Ann came !",
        "New line here",
    ]
    long = " ".join(["word"] * (2 * MAX_SENTENCE_TOKENS + 5))
    assert [b - a for a, b in sentences(long, tokenize(long))] == [MAX_SENTENCE_TOKENS, MAX_SENTENCE_TOKENS, 5]


def test_only_the_parts_of_a_sentence_around_capitalised_words_are_tagged() -> None:
    words = ["The", "cat", "saw", "that", "the", "big", "Hugo", "Touvron", "ran", "off", "to", "the", "far", "hills", "today"]
    assert _windows([worth_tagging(word) for word in words]) == [(4, 10)]
    assert _windows([worth_tagging(word) for word in ["no", "names", "at", "all"]]) == []


def test_one_model_tags_from_several_threads_at_once() -> None:
    """A tagger keeps the sequence it tagged last for its marginals: threads must not interleave."""
    import threading

    model = load_starter()
    assert model is not None
    texts = [f"{name} met the chief executive of {org} in Berlin on Tuesday. " * (n + 1)
             for n, (name, org) in enumerate([("Angela Merkel", "Siemens AG"), ("Tim Cook", "Apple Inc."),
                                              ("Olaf Scholz", "the European Commission")])]
    expected = {text: model.predict(text) for text in texts}
    wrong: list[object] = []

    def work(text: str) -> None:
        for _ in range(150):
            try:
                if model.predict(text) != expected[text]:
                    wrong.append(text)
            except ValueError as exc:
                wrong.append(exc)

    threads = [threading.Thread(target=work, args=(text,)) for text in texts * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_features_built_once_train_the_same_model_twice() -> None:
    docs = pattern_docs(30)
    sequences = [sequence for doc in docs for sequence in training_sequences(doc)]
    trained = CrfModel.train(docs).to_bytes()
    assert CrfModel.fit(sequences).to_bytes() == trained
    assert CrfModel.fit(sequences).to_bytes() == trained  # the built features serve a second training


def test_windowed_training_keeps_the_parts_tagged_with_their_tags() -> None:
    doc = pattern_docs(1)[0]
    doc["text"] += " it was a quiet day and nothing else happened at all in the town that week."
    tokens = tokenize(doc["text"])
    tags = bio_tags(tokens, [(s["start"], s["end"], s["label"]) for s in doc["spans"]])
    whole = training_sequences(doc)
    parts = training_sequences(doc, windows=True)
    assert [tag for _, sentence in whole for tag in sentence] == tags
    expected = []
    for first, end in sentences(doc["text"], tokens):
        worth = [worth_tagging(token.text) for token in tokens[first:end]]
        expected += [tags[first + start : first + stop] for start, stop in _windows(worth, TRAINING_WINDOW)]
    assert [sentence_tags for _, sentence_tags in parts] == expected
    assert sum(map(len, expected)) < len(tags)  # the quiet sentence is left out
    assert all(tag == "O" for tag in tags[-15:])
