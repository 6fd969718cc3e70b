"""Tokens and sentences for the token-level exports (CoNLL, Hugging Face JSONL).

A rule-based tokenizer, the same with or without spaCy installed, so that an
export's tokens depend only on this module's ``VERSION`` (written to the
manifest), never on which packages happen to be installed.

``tokenize(text)`` gives each token as ``(start, end)``, offsets in code points,
end exclusive; every character but whitespace (and zero-width spaces) belongs to exactly one token, and
no token ends inside a grapheme cluster (a letter and its combining accents, an
emoji with its skin tone or zero-width joiners, a flag). Tokens are:

- web addresses and e-mail addresses, whole;
- numbers with inner separators ("3.5", "1,000", "10:30"; a date "2025-05-27" is five tokens);
- abbreviations with their period: dotted ones ("U.S.", "e.g."), single capital
  initials ("J.") and a list of titles and shorthands ("Dr.", "Inc.", "Jan.");
- words of letters, digits and inner apostrophes ("O'Brien"), with a trailing
  possessive split off ("Meta's" → "Meta", "'s") and hyphens split off
  ("Meta-owned" → "Meta", "-", "owned"), as spaCy and OntoNotes do, so that a
  name inside a compound still falls on token boundaries;
- runs of periods or dashes ("...", "--"), and any other character (with its
  grapheme cluster) on its own, Chinese and Japanese characters included.

``sentences(text, tokens)`` splits at line breaks and after ".", "!", "?" or "…"
(and any closing quotes or brackets after them) when the next token starts
with a capital letter, a digit or an opening quote or bracket, and after "。", "！" or "？".
"""

from __future__ import annotations

import re
from collections.abc import Callable

import regex

VERSION = "1"
NAME = f"article-curator rules {VERSION}"

_ABBREVIATIONS = (
    "Mr|Mrs|Ms|Mx|Dr|Prof|St|Jr|Sr|Gen|Sen|Rep|Gov|Pres|Lt|Col|Capt|Sgt|Cpl|Adm|Rev|Hon|Mt|Ft|"
    "Inc|Ltd|Co|Corp|Bros|Dept|Univ|Assn|vs|etc|approx|No|Nos|Vol|Fig|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
# Chinese and Japanese are written without spaces: each of their characters is a token of its own.
_WORD_CHAR = r"(?![\p{Han}\p{Hiragana}\p{Katakana}])[\p{L}\p{N}]\p{M}*"
_APOSTROPHE = "['’]"
_TOKEN = regex.compile(
    "|".join((
        # An address, not its closing punctuation.
        r"(?:https?://|www\.)[^\s\x1c-\x1f\u200b\u2060\ufeff<>\"“”]*[^\s\x1c-\x1f\u200b\u2060\ufeff<>\"“”.,;:!?)\]}'’]",
        r"[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+",  # an e-mail address
        r"\p{N}+(?:[.,:/]\p{N}+)*(?![\p{L}\p{M}])",  # a number: 3.5, 1,000, 10:30
        r"(?:\p{L}\p{M}*\.){2,}(?![\p{L}\p{N}])",  # U.S., e.g.
        rf"(?:{_ABBREVIATIONS})\.(?![\p{{L}}\p{{N}}])",  # Dr., Inc., Jan.
        r"\p{Lu}\p{M}*\.(?=\s)",  # an initial: J. R. Smith
        rf"{_APOSTROPHE}[sS](?![\p{{L}}\p{{N}}])",  # a possessive: 's
        # A word; an inner apostrophe joins its halves unless it starts a final possessive.
        rf"(?:{_WORD_CHAR})+(?:(?!{_APOSTROPHE}[sS](?![\p{{L}}\p{{N}}])){_APOSTROPHE}(?:{_WORD_CHAR})+)*",
        r"\.{2,}|-{2,}",
        r"(?![\s\x1c-\x1f\u200b\u2060\ufeff])\X",  # any other grapheme cluster
    )),
    regex.VERSION0,
)
# Runs of characters between whitespace (str.isspace's, which the stdlib's \s matches) and the
# invisible characters that only separate: no token crosses their ends.
_CHUNK = re.compile(r"[^\s\u200b\u2060\ufeff]+")
_ABBREVIATION_SET = frozenset(_ABBREVIATIONS.split("|"))
_PLAIN_ENDS = frozenset(",;:!?)\"'")
_TERMINATORS = frozenset({".", "!", "?", "…", "...", "?!", "!?"})
_FULL_WIDTH_TERMINATORS = frozenset({"。", "！", "？"})  # followed by no space
_CLOSERS = frozenset({'"', "'", "”", "’", "»", "›", ")", "]", "}"})
_OPENERS = frozenset({'"', "'", "“", "‘", "„", "«", "‹", "(", "[", "{", "¿", "¡", "—", "-"})

Token = tuple[int, int]


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` as (start, end) offsets, in order."""
    tokens: list[Token] = []
    append = tokens.append
    for chunk in _CHUNK.finditer(text):
        word = chunk.group()
        start, end = chunk.span()
        # Most chunks are a plain ASCII word, perhaps with a comma or period after it: cut
        # them as the rules would, without the rules (which cost ten times as much).
        if word.isascii():
            if word.isalnum():
                append((start, end))
                continue
            head, last = word[:-1], word[-1]
            if head.isalnum() and (last in _PLAIN_ENDS or last == "." and head not in _ABBREVIATION_SET
                                   and not (len(head) == 1 and head.isupper())):
                append((start, end - 1))
                append((end - 1, end))
                continue
        _apply_rules(text, start, end, append)
    return tokens


def _apply_rules(text: str, start: int, end: int, append: Callable[[Token], None]) -> None:
    # The chunk and the character after it, which the rules' lookaheads read.
    length = end - start
    for m in _TOKEN.finditer(text[start:end + 1]):
        a, b = m.span()
        if a >= length:
            break
        append((start + a, start + b))


def sentences(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """The sentences as ranges [first token, last token + 1) covering every token in order."""
    words = [text[s:e] for s, e in tokens]
    out: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(tokens)):
        if _starts_sentence(text, tokens, words, i):
            out.append((first, i))
            first = i
    if tokens:
        out.append((first, len(tokens)))
    return out


def _starts_sentence(text: str, tokens: list[Token], words: list[str], i: int) -> bool:
    gap_start, gap_end = tokens[i - 1][1], tokens[i][0]
    if gap_start == gap_end:
        return words[i - 1] in _FULL_WIDTH_TERMINATORS
    if gap_end - gap_start > 1 or text[gap_start] != " ":
        gap = text[gap_start:gap_end]
        if "\n" in gap or "\u2029" in gap:
            return True  # a paragraph or a line of its own (a heading, a dateline)
    j = i - 1
    while j > 0 and words[j] in _CLOSERS:
        j -= 1
    if words[j] not in _TERMINATORS:
        return False
    head = words[i]
    return head[0].isupper() or head[0].isdigit() or head in _OPENERS or head[0] in _OPENERS
