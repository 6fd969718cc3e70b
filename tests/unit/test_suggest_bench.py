"""The span suggestion benchmark's scoring and baseline on a handmade corpus, and the committed corpus's shape."""

import json

import pytest

from benchmarks.suggest_bench import DEFAULT_DATA, micro_scores, score_document, train_baseline


def _doc(text, *labelled):
    """A document whose spans are found by surface: (surface, label) or (surface, label, occurrence)."""
    spans = []
    for surface, label, *occurrence in labelled:
        start = -1
        for _ in range(occurrence[0] if occurrence else 1):
            start = text.index(surface, start + 1)
        spans.append({"start": start, "end": start + len(surface), "label": label})
    return {"text": text, "spans": spans}


LABELLED = _doc("Ann Lee met Apple Corp and Apple.", ("Ann Lee", "PERSON"), ("Apple Corp", "ORG"), ("Apple", "ORG", 2))
# "Apple" the fruit is not an ORG: the baseline's suggestion there is a false positive.
FRUIT = _doc("Apple Corp hired Ann Lee to sell an Apple.", ("Apple Corp", "ORG"), ("Ann Lee", "PERSON"))
# Whole-word and case-sensitive: "Ann Lee" is not found in "Ann Leeds" nor in "ann lee";
# "Apple Corp" is not found in "Apple Corporation", but "Apple" is (false positive, two misses).
NEAR_MISSES = _doc("Ann Leeds and ann lee left Apple Corporation.", ("Ann Leeds", "PERSON"), ("Apple Corporation", "ORG"))


def test_baseline_matches_leftmost_longest_whole_words_case_sensitively():
    suggest = train_baseline([LABELLED])

    assert suggest(FRUIT["text"]) == [
        {"start": 0, "end": 10, "label": "ORG", "score": 1.0},
        {"start": 17, "end": 24, "label": "PERSON", "score": 1.0},
        {"start": 36, "end": 41, "label": "ORG", "score": 1.0},
    ]
    assert suggest(NEAR_MISSES["text"]) == [{"start": 27, "end": 32, "label": "ORG", "score": 1.0}]


def test_baseline_scores_computed_by_hand():
    suggest = train_baseline([LABELLED])
    counts = [score_document(suggest(doc["text"]), doc["spans"]) for doc in (FRUIT, NEAR_MISSES)]

    # FRUIT: 2 right, 1 wrong, none missed; NEAR_MISSES: none right, 1 wrong, 2 missed.
    assert counts == [(2, 1, 0), (0, 1, 2)]
    assert micro_scores(counts) == (0.5, 0.5, 0.5)


def test_baseline_without_labelled_documents_suggests_nothing():
    suggest = train_baseline([])

    assert suggest(FRUIT["text"]) == []
    assert micro_scores([score_document([], FRUIT["spans"])]) == (0.0, 0.0, 0.0)


def test_scoring_is_strict_and_ignores_other_labels():
    gold = [{"start": 0, "end": 7, "label": "PERSON"}, {"start": 12, "end": 22, "label": "ORG"}]
    predicted = [
        {"start": 0, "end": 7, "label": "PERSON", "score": 0.9},   # exact
        {"start": 12, "end": 17, "label": "ORG", "score": 0.9},    # wrong end
        {"start": 0, "end": 7, "label": "ORG", "score": 0.9},      # wrong label
        {"start": 27, "end": 32, "label": "PLACE", "score": 0.9},  # label outside PERSON/ORG: ignored
    ]

    assert score_document(predicted, gold) == (1, 2, 1)
    precision, recall, f1 = micro_scores([score_document(predicted, gold)])
    assert (precision, recall) == (pytest.approx(1 / 3), 0.5)
    assert f1 == pytest.approx(0.4)


def test_committed_corpus_lines_are_well_formed():
    lines = DEFAULT_DATA.read_text(encoding="utf-8").splitlines()

    assert len(lines) >= 300
    for number, line in enumerate(lines, 1):
        doc = json.loads(line)
        text = doc["text"]
        assert isinstance(text, str) and text, number
        for span in doc["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(text), (number, span)
            surface = text[span["start"]:span["end"]]
            assert surface.strip() == surface, (number, surface)
            assert span["label"] in ("PERSON", "ORG"), (number, span)
        for label in ("PERSON", "ORG"):
            spans = sorted((s["start"], s["end"]) for s in doc["spans"] if s["label"] == label)
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert end <= start, (number, label, spans)
