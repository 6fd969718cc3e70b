"""Turning a rough text selection into a clean span, and finding words again.

Annotators select with the mouse or shift+arrows and rarely hit word edges
exactly; ``snap_to_words`` widens a selection to whole words and trims the
spaces, quotes and punctuation around them. ``find_occurrences`` finds the
same words elsewhere in an article ("label all occurrences").
``line_break_rule`` says whether a span may run over a line break.

Offsets are Python ``str`` indices (code points). ``OffsetMap`` converts them
to and from the positions a text widget counts: UTF-16 units (a character
outside the Basic Multilingual Plane, most emoji, is one code point but two
units), plus any characters the display inserts.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from typing import Literal

# Inside a word these join its parts: "Meta’s", "open-source", "rock'n'roll".
JOINERS = frozenset("'’ʼ‘-‐‑")
# Punctuation that belongs to what it stands next to, so it is never trimmed: 78%, #1, AT&T.
KEEP_PUNCTUATION = frozenset("%‰‱#@&*/\\§†‡")
_MARKS = frozenset(("Mn", "Mc", "Me"))
_ZWJ = "\u200d"
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)  # skin tones
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# What ends a line: the characters ``str.splitlines`` splits at.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Label kinds whose spans may run over a line break once the annotator confirms it: a claim
# can take two paragraphs, a name or an organisation never does.
KINDS_ACROSS_LINES = frozenset({"claim"})


def _category(ch: str) -> str:
    return unicodedata.category(ch)


def _is_word_char(text: str, i: int) -> bool:
    """A letter, digit or underscore, or a combining mark on one ("e" + U+0301)."""
    ch = text[i]
    if ch.isalnum() or ch == "_":
        return True
    if _category(ch) in _MARKS:
        j = i - 1
        while j >= 0 and _category(text[j]) in _MARKS:
            j -= 1
        return j >= 0 and (text[j].isalnum() or text[j] == "_")
    return False


def _in_word(text: str, i: int) -> bool:
    """Whether the character at ``i`` is part of a word (a joiner counts only between word characters)."""
    if not 0 <= i < len(text):
        return False
    if _is_word_char(text, i):
        return True
    return text[i] in JOINERS and 0 < i < len(text) - 1 and _is_word_char(text, i - 1) and _is_word_char(text, i + 1)


def _splits_word(text: str, i: int) -> bool:
    """Whether the boundary before index ``i`` cuts through a word."""
    return 0 < i < len(text) and _in_word(text, i - 1) and _in_word(text, i)


def _trimmable(ch: str) -> bool:
    if ch.isspace():
        return True
    cat = _category(ch)
    if cat[0] == "P":
        return ch not in KEEP_PUNCTUATION
    # Separators, control and format characters (zero-width space, BOM), emoji and
    # other pictographs, and marks left without their base.
    return cat[0] in "ZC" or cat in ("So", "Sk") or cat in _MARKS


def _cluster_start(text: str, start: int, i: int) -> int:
    """First index of the character cluster that ends at ``i`` (base + marks, modifiers, ZWJ sequences)."""
    while i > start:
        ch = text[i]
        if _category(ch) in _MARKS or ord(ch) in _EMOJI_MODIFIERS or ch == _ZWJ or text[i - 1] == _ZWJ:
            i -= 1
        else:
            break
    return i


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop whitespace, quotes, brackets and similar punctuation from both ends; None if nothing is left."""
    while start < end and _trimmable(text[start]):
        start += 1
    while end > start:
        base = _cluster_start(text, start, end - 1)
        if not _trimmable(text[base]):
            break
        end = base
    return (start, end) if start < end else None


def _possessive_at(text: str, i: int) -> bool:
    """True when ``text[i:]`` starts an English possessive ending ("’s" / "'s") that ends a word."""
    return (
        text[i : i + 1] in ("'", "’")
        and text[i + 1 : i + 2] in ("s", "S")
        and (i + 2 >= len(text) or not _splits_word(text, i + 2) and not text[i + 2].isalnum())
    )


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Widen ``start:end`` to whole words, then trim what surrounds them.

    Returns the new ``(start, end)``, or None when the selection holds no
    word, digit or symbol worth labelling (empty, blank, or only punctuation).
    """
    if start > end:
        start, end = end, start
    start = max(0, min(start, len(text)))
    end = max(0, min(end, len(text)))
    if start == end:
        return None
    while _splits_word(text, start):
        start -= 1
    # "Meta’s": a name is labelled without its possessive ending, as NER data sets do,
    # unless the selection itself reaches into the ending.
    if not _possessive_at(text, end):
        while _splits_word(text, end):
            end += 1
            if _possessive_at(text, end):
                break
    return trim(text, start, end)


def find_occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Every whole-word, case-sensitive occurrence of ``needle`` in ``text``, in order.

    "Meta" is not found inside "Metaverse", but it is in "Meta’s" (a possessive ending is not part of a name).
    """
    if not needle:
        return []
    found: list[tuple[int, int]] = []
    size = len(needle)
    i = text.find(needle)
    while i != -1:
        end = i + size
        if not _splits_word(text, i) and (not _splits_word(text, end) or _possessive_at(text, end)):
            found.append((i, end))
            i = text.find(needle, end)
        else:
            i = text.find(needle, i + 1)
    return found


def crosses_line_break(text: str, start: int, end: int) -> bool:
    return not LINE_BREAKS.isdisjoint(text[start:end])


def line_break_rule(text: str, start: int, end: int, kind: str) -> Literal["fine", "confirm", "refuse"]:
    """Whether a span of label kind ``kind`` over ``text[start:end]`` may be made.

    "fine" inside one line; over a line break "confirm" for the kinds that may
    cross one (ask the annotator first), "refuse" for the others.
    """
    if not crosses_line_break(text, start, end):
        return "fine"
    return "confirm" if kind in KINDS_ACROSS_LINES else "refuse"


class OffsetMap:
    """Converts between Python string indices of a text and positions in how a widget shows it.

    Shown positions count UTF-16 units (an astral character takes two) and may
    hold extra characters the text does not have: ``inserted`` lists the
    indices before which the display adds one (a blank line between
    paragraphs, for instance). A shown position that falls inside an extra
    unit (the second half of a surrogate pair, an inserted character) maps to
    the index before it.
    """

    __slots__ = ("_size", "_thresholds")

    def __init__(self, text: str, inserted: Sequence[int] = ()) -> None:
        self._size = len(text)
        # One extra unit is counted for every index at or after each threshold.
        thresholds = list(inserted)
        if len(text.encode("utf-16-le")) != 2 * len(text):
            thresholds += [m.start() + 1 for m in _ASTRAL.finditer(text)]
        self._thresholds = sorted(thresholds)

    @property
    def identity(self) -> bool:
        return not self._thresholds

    def to_display(self, index: int) -> int:
        if not self._thresholds:
            return index
        return index + bisect_right(self._thresholds, index)

    def from_display(self, position: int) -> int:
        if not self._thresholds:
            return position
        # The largest index whose shown position is not past ``position`` (to_display only grows).
        found = bisect_right(range(self._size + 1), position, key=self.to_display) - 1
        return max(0, found)
