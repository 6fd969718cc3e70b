"""Assisted annotation: spans suggested for a text from what a dataset has labelled.

Public API:

- ``train_suggester(docs, *, rejected=(), starter=True)`` takes an iterable of
  labelled documents, ``{"text": str, "spans": [{"start": int, "end": int, "label": str}, ...]}``
  (the native export's lines; other keys are ignored), and returns a suggester.
- A suggester is called on a text: ``suggest(text)`` returns a list of
  ``{"start": int, "end": int, "label": str, "score": float}``, sorted by start,
  not overlapping, each ``text[start:end]`` a run of whole tokens, ``score`` in 0..1.
  It pickles, and ``describe()`` says what it is made of.

The suggester is a :class:`BlendedSuggester` (``app.core.suggest.blend``) of a
:class:`DictionarySuggester` (``app.core.suggest.dictionary``), a :class:`CrfModel`
(``app.core.suggest.crf``) and the shipped starter model (``app.core.suggest.starter``),
learned in ``app.core.suggest.learn``; tokens come from ``app.core.suggest.tokens``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.suggest.blend import BlendedSuggester
    from app.core.suggest.crf import CrfModel
    from app.core.suggest.dictionary import DictionarySuggester, Suggestion
    from app.core.suggest.learn import train_suggester


def __getattr__(name: str) -> Any:
    """The public API, each name imported when first asked for (PEP 562), so that reading the
    dataset's suggestion figures (``acceptance``) loads no model code."""
    if name == "BlendedSuggester":
        from app.core.suggest.blend import BlendedSuggester

        return BlendedSuggester
    if name == "CrfModel":
        from app.core.suggest.crf import CrfModel

        return CrfModel
    if name in ("DictionarySuggester", "Suggestion"):
        from app.core.suggest import dictionary

        return getattr(dictionary, name)
    if name == "train_suggester":
        from app.core.suggest.learn import train_suggester

        return train_suggester
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BlendedSuggester", "CrfModel", "DictionarySuggester", "Suggestion", "train_suggester"]
