"""Placing another tool's span on our text: offsets checked, converted or refused, edges trimmed.

Python counts characters (code points); browser tools such as Label Studio count
UTF-16 code units, so after an emoji (or any character outside the Basic
Multilingual Plane) their offsets point past the text they mean. A span that
carries its own text is placed where that text is: at its offsets read as
characters, else read as UTF-16 units (counted as converted), else nowhere
(refused with the reason). A span is never stored with text other than its own.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from pydantic import ValidationError

from app.core.ingest.formats import FormatRecord, Tally
from app.core.validation import RESERVED_META_KEYS, NewArticle, describe_validation_error

CONVERTED_UTF16 = "UTF-16 offsets (as counted in a browser) read as characters"
CONVERTED_UNCHECKED = "offsets read as UTF-16 without a span text to check them"
TRIMMED = "whitespace at a span's edges left out"
REFUSED_DIFFERS = "the text at the span's offsets differs from the span's text"
REFUSED_OUTSIDE = "the span lies outside the text"
REFUSED_BLANK = "the span covers only whitespace"
REFUSED_NO_LABEL = "the span has no label"
REFUSED_BAD_OFFSETS = "the span's offsets are not whole numbers"


class Utf16:
    """Converts UTF-16 code unit offsets of one text to character offsets."""

    def __init__(self, text: str) -> None:
        # The UTF-16 offset of each character that takes two units (a surrogate pair).
        self.wide: list[int] = []
        units = 0
        for ch in text:
            if ord(ch) > 0xFFFF:
                self.wide.append(units)
                units += 2
            else:
                units += 1
        self.units = units

    def to_chars(self, offset: int) -> int | None:
        """The character offset at UTF-16 ``offset``; None inside a surrogate pair or past the end."""
        if offset > self.units:
            return None
        before = bisect_left(self.wide, offset)  # wide characters starting before the offset
        if before and self.wide[before - 1] + 1 == offset:
            return None  # between the two halves of one character
        return offset - before


def place_span(text: str, start: Any, end: Any, claimed: str | None, tally: Tally,
               utf16: Utf16 | None = None, *, trim: bool = True) -> tuple[int, int] | None:
    """Where the span (``start``, ``end``, its own text ``claimed`` if known) lies in ``text``.

    ``utf16`` (for tools that count in UTF-16) allows the offsets to be converted.
    Without a ``claimed`` text, offsets from such a tool are converted whenever
    the text holds wide characters, as that tool counts them. Counts what it does
    in ``tally``; None when the span is refused.
    """
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        tally.add("refused", REFUSED_BAD_OFFSETS)
        return None
    placed = _as_characters(text, start, end, claimed, tally, utf16)
    if placed is None:
        return None
    start, end = placed
    if trim:
        new_start, new_end = start, end
        while new_start < new_end and text[new_start].isspace():
            new_start += 1
        while new_end > new_start and text[new_end - 1].isspace():
            new_end -= 1
        if new_start == new_end:
            tally.add("refused", REFUSED_BLANK)
            return None
        if (new_start, new_end) != (start, end):
            tally.add("trimmed", TRIMMED)
        start, end = new_start, new_end
    return start, end


def _as_characters(text: str, start: int, end: int, claimed: str | None, tally: Tally,
                   utf16: Utf16 | None) -> tuple[int, int] | None:
    fits = 0 <= start < end <= len(text)
    if claimed is not None and fits and text[start:end] == claimed:
        return start, end
    if utf16 is not None and utf16.wide:
        s, e = utf16.to_chars(start), utf16.to_chars(end)
        if s is not None and e is not None and 0 <= s < e and (claimed is None or text[s:e] == claimed):
            if (s, e) != (start, end):  # before the first wide character both counts agree
                # Without the span's own text nothing confirms the tool counted in UTF-16: said apart.
                tally.add("converted", CONVERTED_UTF16 if claimed is not None else CONVERTED_UNCHECKED)
            return s, e
    if claimed is None and fits:
        return start, end
    tally.add("refused", REFUSED_DIFFERS if fits and claimed is not None else REFUSED_OUTSIDE)
    return None


def span(start: int, end: int, label: str, annotator: str = "", attributes: dict[str, Any] | None = None,
         origin: str = "imported") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, "annotator": annotator[:128], "origin": origin,
            "attributes": attributes or {}}


def label_of(value: Any, tally: Tally) -> str | None:
    """A usable label name, or None (counted as refused)."""
    if isinstance(value, str) and value.strip():
        return value.strip()[:64]
    tally.add("refused", REFUSED_NO_LABEL)
    return None


def finish(record: FormatRecord, data: dict[str, Any]) -> FormatRecord:
    """``record`` with the article validated from ``data``, or the reason it is not one."""
    spans = data.get("spans") or []
    unique = {(s["start"], s["end"], s["label"].casefold(), s["annotator"]): s for s in spans}
    dropped = len(spans) - len(unique)
    if dropped:
        record.tally.add("noted", "the same span given twice, kept once", dropped)
    # A source's own "source" or "title" in its metadata must not pass for the article's columns.
    meta = {(f"original_{k}" if k in RESERVED_META_KEYS else k): v for k, v in (data.get("meta") or {}).items()}
    data = {**data, "spans": list(unique.values()), "meta": meta}
    try:
        record.article = NewArticle.model_validate(data)
    except ValidationError as exc:
        record.reason = f"Not imported: {describe_validation_error(exc)}."
    return record
