"""Labelled documents as the suggesters read them: the native export's lines,
``{"text": str, "spans": [{"start": int, "end": int, "label": str}, ...]}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GoldSpan = tuple[int, int, str]
Document = tuple[str, list[GoldSpan]]  # a text and its well-formed spans


def valid_document(doc: Mapping[str, Any]) -> Document:
    """The document's text and the spans that fit it (other keys, and malformed spans, are ignored)."""
    text = doc.get("text")
    if not isinstance(text, str):
        return "", []
    spans = []
    for span in doc.get("spans") or ():
        if not isinstance(span, Mapping):
            continue
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if isinstance(start, int) and isinstance(end, int) and isinstance(label, str) and 0 <= start < end <= len(text):
            spans.append((start, end, label))
    return text, spans
