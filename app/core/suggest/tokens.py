"""Word tokens with character offsets, for the dictionary suggester.

``tokenize(text)`` returns :class:`Token` s (``text``, ``start``, ``end``) such that
``text[start:end] == token.text`` always. A word is letters and digits joined by
inner hyphens and apostrophes, so "O'Brien" and "Jean-Luc" stay whole; a trailing
possessive is its own token ("Meta's" → "Meta", "'s"). Any other character that is
neither a letter, a digit nor a space is a one-character token ("." "," "(").

``fold(word)`` is the dictionary's matching key: capitalised words compare without
case ("Meta", "META"), others exactly ("meta", "apple").
``sentence_starts(text, tokens)`` says which tokens begin a sentence.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*|[^\w\s]|_")
_POSSESSIVE = re.compile(r"['’][sS]$")
_SENTENCE_END = frozenset(".!?")
# Abbreviations whose period does not end a sentence ("Mr. Smith", "J. Smith").
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "sen", "rep", "gov"})


class Token(NamedTuple):
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The text's tokens in order, possessives split off their word."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        word, start, end = match.group(), match.start(), match.end()
        if len(word) > 2 and _POSSESSIVE.search(word):
            tokens.append(Token(word[:-2], start, end - 2))
            tokens.append(Token(word[-2:], end - 2, end))
        else:
            tokens.append(Token(word, start, end))
    return tokens


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


def sentence_starts(text: str, tokens: list[Token]) -> list[bool]:
    """For each token, whether a sentence begins at it: the first token, a token after
    a line break, or a token after "." "!" "?" (but not the period of an initial or of
    an abbreviation such as "Mr.")."""
    starts = [False] * len(tokens)
    for i, token in enumerate(tokens):
        if i == 0:
            starts[i] = True
            continue
        previous = tokens[i - 1]
        if "\n" in text[previous.end : token.start]:
            starts[i] = True
        elif previous.text in _SENTENCE_END:
            before = tokens[i - 2].text if i >= 2 else ""
            abbreviation = previous.text == "." and (is_initial(before) or before.casefold() in _ABBREVIATIONS)
            starts[i] = not abbreviation
    return starts
