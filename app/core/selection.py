"""Turning a rough text selection into a clean span, and finding words again.

Annotators select with the mouse or shift+arrows and rarely hit word edges
exactly; ``snap_to_words`` widens a selection to whole words and trims the
spaces, quotes and punctuation around them. ``find_occurrences`` finds the
same words elsewhere in an article ("label all occurrences").

Offsets are Python ``str`` indices (code points). ``OffsetMap`` converts them
to and from UTF-16 positions, which is what text widgets count in: a
character outside the Basic Multilingual Plane (most emoji) is one code point
but two UTF-16 units.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right

# Inside a word these join its parts: "Meta’s", "open-source", "rock'n'roll".
JOINERS = frozenset("'’ʼ‘-‐‑")
# Punctuation that belongs to what it stands next to, so it is never trimmed: 78%, #1, AT&T.
KEEP_PUNCTUATION = frozenset("%‰‱#@&*/\\§†‡")
_MARKS = frozenset(("Mn", "Mc", "Me"))
_ZWJ = "\u200d"
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)  # skin tones
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


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
        if _category(ch) in _MARKS or ord(ch) in _EMOJI_MODIFIERS or ch == _ZWJ:
            i -= 1
        elif text[i - 1] == _ZWJ:
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
    while _splits_word(text, end):
        end += 1
    return trim(text, start, end)


def find_occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Every whole-word, case-sensitive occurrence of ``needle`` in ``text``, in order.

    "Meta" is not found inside "Metaverse", nor inside "Meta’s", which is one word.
    """
    if not needle:
        return []
    found: list[tuple[int, int]] = []
    size = len(needle)
    i = text.find(needle)
    while i != -1:
        end = i + size
        if not _splits_word(text, i) and not _splits_word(text, end):
            found.append((i, end))
            i = text.find(needle, end)
        else:
            i = text.find(needle, i + 1)
    return found


class OffsetMap:
    """Converts between Python string indices and UTF-16 positions of one text."""

    __slots__ = ("_astral", "_ends")

    def __init__(self, text: str) -> None:
        if len(text.encode("utf-16-le")) == 2 * len(text):
            self._astral: list[int] = []
        else:
            self._astral = [m.start() for m in _ASTRAL.finditer(text)]
        # UTF-16 position just after each astral character.
        self._ends = [index + k + 2 for k, index in enumerate(self._astral)]

    @property
    def identity(self) -> bool:
        return not self._astral

    def to_utf16(self, index: int) -> int:
        if not self._astral:
            return index
        return index + bisect_left(self._astral, index)

    def from_utf16(self, position: int) -> int:
        """The string index at a UTF-16 position; a position inside a surrogate pair rounds up."""
        if not self._astral:
            return position
        return position - bisect_right(self._ends, position)
