"""Assisted annotation: spans suggested for a text from what a dataset has labelled.

Public API:

- ``train_suggester(docs)`` takes an iterable of labelled documents,
  ``{"text": str, "spans": [{"start": int, "end": int, "label": str}, ...]}`` (the
  native export's lines; other keys are ignored), and returns a suggester.
- A suggester is called on a text: ``suggest(text)`` returns a list of
  ``{"start": int, "end": int, "label": str, "score": float}``, sorted by start,
  not overlapping, each ``text[start:end]`` a run of whole tokens, ``score`` in 0..1.

The suggester is a :class:`DictionarySuggester` (``app.core.suggest.dictionary``),
learned in ``app.core.suggest.learn``; tokens come from ``app.core.suggest.tokens``.
"""

from __future__ import annotations

from app.core.suggest.dictionary import DictionarySuggester, Suggestion
from app.core.suggest.learn import train_suggester

__all__ = ["DictionarySuggester", "Suggestion", "train_suggester"]
