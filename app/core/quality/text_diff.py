"""Where two near copies differ, word by word, for the compare view."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_WORD = re.compile(r"\S+")

Segments = list[tuple[str, bool]]  # (text, only in this copy), covering the whole text in order


def word_diff(left: str, right: str) -> tuple[Segments, Segments]:
    """Each text cut into stretches found in both and stretches found only in it.

    Words are compared as they are written (a changed comma marks its word); the
    spacing between words is not compared. No junk heuristic: in a long story
    "the" and "said" would otherwise never anchor a match.
    """
    a = list(_WORD.finditer(left))
    b = list(_WORD.finditer(right))
    matcher = SequenceMatcher(None, [m.group() for m in a], [m.group() for m in b], autojunk=False)
    only_a: list[tuple[int, int]] = []
    only_b: list[tuple[int, int]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete") and i2 > i1:
            only_a.append((a[i1].start(), a[i2 - 1].end()))
        if op in ("replace", "insert") and j2 > j1:
            only_b.append((b[j1].start(), b[j2 - 1].end()))
    return _segments(left, only_a), _segments(right, only_b)


def _segments(body: str, changed: list[tuple[int, int]]) -> Segments:
    out: Segments = []
    at = 0
    for start, end in changed:
        if start > at:
            out.append((body[at:start], False))
        out.append((body[start:end], True))
        at = end
    if at < len(body):
        out.append((body[at:], False))
    return out
