"""Tokens of the suggesters (app.core.suggest.tokens, app.core.suggest.crf): the kept folds of
words and the sentence bounds found from the sentence ends give what the plain ways give."""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

import app.core.suggest.tokens as tokens_module
from app.core.suggest.crf import MAX_SENTENCE_TOKENS, sentences
from app.core.suggest.tokens import fold, fold_all, sentence_start, tokenize

WORDS = st.sampled_from(["Meta", "META", "meta", "Hugo", "Touvron", "J", "Mr", ".", "!", "?", ",", "'s", "Ünïcode",
                         "ÉCOLE", "école", "ǅemal", "ß", "2024", "\n", "-", "Jean-Luc", "O'Brien"])
TEXTS = st.lists(WORDS, max_size=300).map(" ".join)


def plain_sentences(text: str, tokens: list) -> list[tuple[int, int]]:
    """The sentence bounds of ``sentence_start`` asked of every token, long ones cut."""
    bounds = [i for i in range(len(tokens)) if sentence_start(text, tokens, i)] + [len(tokens)]
    return [(cut, min(cut + MAX_SENTENCE_TOKENS, end)) for first, end in zip(bounds, bounds[1:], strict=False)
            for cut in range(first, end, MAX_SENTENCE_TOKENS)] if tokens else []


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_folds_are_those_of_each_word(text: str) -> None:
    tokens = tokenize(text)
    assert fold_all(tokens) == [fold(token.text) for token in tokens]
    assert fold_all(tokens) == [fold(token.text) for token in tokens]  # the second time from what was kept


def test_a_full_cache_of_folds_is_replaced_and_the_folds_stay_right(monkeypatch) -> None:
    monkeypatch.setattr(tokens_module, "MAX_FOLDED", 5)
    monkeypatch.setattr(tokens_module, "_folded", [{}])
    for text in ("Meta and META", "Hugo Touvron of Meta", "a b c d e f g h", "Meta meta"):
        tokens = tokenize(text)
        assert fold_all(tokens) == [fold(token.text) for token in tokens]
        assert len(tokens_module._folded[0]) <= max(5, len(set(token.text for token in tokens)))


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_sentences_are_those_of_sentence_start(text: str) -> None:
    tokens = tokenize(text)
    assert sentences(text, tokens) == plain_sentences(text, tokens)


def test_a_long_run_without_sentence_ends_is_cut() -> None:
    text = " ".join(["word"] * (2 * MAX_SENTENCE_TOKENS + 5)) + ". Next"
    tokens = tokenize(text)
    assert sentences(text, tokens) == plain_sentences(text, tokens)
    assert bisect.bisect_left([b for _, b in sentences(text, tokens)], MAX_SENTENCE_TOKENS) == 0
