"""Word tokens with character offsets, for the dictionary suggester.

``tokenize(text)`` returns :class:`Token` s (``text``, ``start``, ``end``) such that
``text[start:end] == token.text`` always. A word is letters and digits joined by
inner hyphens and apostrophes, so "O'Brien" and "Jean-Luc" stay whole; a trailing
possessive is its own token ("Meta's" → "Meta", "'s"). Any other character that is
neither a letter, a digit nor a space is a one-character token ("." "," "(").
``columns(text)`` gives the same tokens as three lists (words, starts, ends).

``fold(word)`` is the dictionary's matching key: capitalised words compare without
case ("Meta", "META"), others exactly ("meta", "apple").
``sentence_start(text, tokens, i)`` says whether token i begins a sentence
(``starts_sentence`` of columns).
"""

from __future__ import annotations

import re
from itertools import accumulate, repeat
from operator import itemgetter
from typing import NamedTuple

# A word (a trailing possessive left out), a possessive, or one other character:
# every character but whitespace is in a token.
_TOKEN = re.compile(r"([^\W_]+(?:(?!['’][sS](?![^\W_]))['’\-][^\W_]+)*|['’][sS](?![^\W_])|[^\w\s]|_)")
_SENTENCE_END = frozenset(".!?")
# Abbreviations whose period does not end a sentence ("Mr. Smith", "J. Smith").
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "sen", "rep", "gov"})


class Token(NamedTuple):
    text: str
    start: int
    end: int


class Columns(NamedTuple):
    """A text's tokens as three lists: their words, start and end offsets. The suggesters
    read a long text's tokens this way: building 9,000 ``Token`` s of a 50 KB article
    took longer than finding them."""

    words: list[str]
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, tokens: list[Token]) -> Columns:
        return cls(list(map(itemgetter(0), tokens)), list(map(itemgetter(1), tokens)), list(map(itemgetter(2), tokens)))


# The last long text tokenized and its tokens, in either form: the layers of a
# suggester each tokenize the same text.
_last: list[tuple[str, list[Token]]] = [("", [])]
_last_columns: list[tuple[str, Columns]] = [("", Columns([], [], []))]
_KEPT_FROM = 1000  # characters: short texts (labelled strings) are not worth keeping


def tokenize(text: str) -> list[Token]:
    """The text's tokens in order, possessives split off their word.

    The list of the last text is kept and given again for the same text: callers
    must not change it."""
    last = _last[0]  # one read: another thread may replace it meanwhile
    if last[0] is text:
        return last[1]
    tokens = list(map(tuple.__new__, repeat(Token), zip(*columns(text), strict=True)))
    if len(text) > _KEPT_FROM:
        _last[0] = (text, tokens)
    return tokens


def columns(text: str) -> Columns:
    """``tokenize(text)`` as :class:`Columns` (kept and given again for the same text likewise)."""
    last = _last_columns[0]
    if last[0] is text:
        return last[1]
    found = _tokenize(text)
    if len(text) > _KEPT_FROM:
        _last_columns[0] = (text, found)
    return found


def _tokenize(text: str) -> Columns:
    # Splitting keeps the tokens and the whitespace between them, so the offsets are
    # running sums of their lengths. All of it in C: a 50 KB article has 9,000 tokens.
    # (The last offset, after the final whitespace, starts no token.)
    parts = _TOKEN.split(text)
    offsets = list(accumulate(map(len, parts)))
    return Columns(parts[1::2], offsets[0:-1:2], offsets[1::2])


# Folded words (``fold``): a text repeats its words, and a 50 KB article has 9,000 tokens
# to fold. A full cache is replaced, not cleared, as another thread may be reading it.
_folded: list[dict[str, str]] = [{}]
MAX_FOLDED = 50_000


def fold_all(tokens: list[Token]) -> list[str]:
    """``fold`` of each token."""
    return fold_words(list(map(itemgetter(0), tokens)))


def fold_words(words: list[str]) -> list[str]:
    """``fold`` of each word."""
    folded = _folded[0]
    new = [word for word in set(words) if word not in folded]
    if len(folded) + len(new) > MAX_FOLDED:  # a long-lived process meets many words
        folded = _folded[0] = {}
        new = list(set(words))
    for word in new:
        folded[word] = fold(word)
    return list(map(folded.__getitem__, words))


def is_word(token: str) -> bool:
    return token[:1].isalnum()


def is_capitalised(token: str) -> bool:
    return token[:1].isupper()


def is_initial(token: str) -> bool:
    """A single capital letter, as in "J. R. Smith"."""
    return len(token) == 1 and token.isupper()


def fold(token: str) -> str:
    """The key a token is looked up by: a capitalised token without case, others exactly.

    The marker keeps "meta" (lower-case in the text) apart from "Meta" folded.
    """
    return "\x00" + token.casefold() if token[:1].isupper() else token


def sentence_start(text: str, tokens: list[Token], i: int) -> bool:
    """Whether a sentence begins at token i: the first token, a token after a line break,
    or a token after "." "!" "?" (but not the period of an initial or of an abbreviation
    such as "Mr.")."""
    if i == 0:
        return True
    before = tokens[i - 2].text if i >= 2 else ""
    return _starts(text, tokens[i - 1].text, tokens[i - 1].end, tokens[i].start, before)


def starts_sentence(text: str, tokens: Columns, i: int) -> bool:
    """``sentence_start`` of :class:`Columns`."""
    if i == 0:
        return True
    words = tokens.words
    return _starts(text, words[i - 1], tokens.ends[i - 1], tokens.starts[i], words[i - 2] if i >= 2 else "")


def _starts(text: str, previous: str, previous_end: int, start: int, before: str) -> bool:
    """Whether a token at ``start`` begins a sentence after the token ``previous`` (ending
    at ``previous_end``), itself after ``before`` ("" at the text's start)."""
    if "\n" in text[previous_end:start]:
        return True
    if previous not in _SENTENCE_END:
        return False
    return not (previous == "." and (is_initial(before) or before.casefold() in _ABBREVIATIONS))
