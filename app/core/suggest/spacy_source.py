"""Suggestions from a spaCy pipeline the user already has installed.

spaCy is an optional extra (``pip install article-curator[spacy]``): nothing here
imports it until a pipeline is used, so the app starts and suggests from its own
labels without it.

- ``installed_pipelines()`` lists the pipeline packages installed in the environment
  (``python -m spacy download en_core_web_sm`` installs one).
- ``SpacySuggester(name_or_path, label_map)`` is a suggester like the dataset's: called
  on a text it returns ``[{"start", "end", "label", "score"}, ...]``, the pipeline's
  entities with their labels mapped to the dataset's (unmapped ones dropped), each
  widened to whole tokens of ``app.core.suggest.tokens``. It loads the pipeline on
  first use and drops it when pickled, so it can travel to another process.
- ``with_pipeline(dataset_suggester, settings, labels=...)`` is what the app suggests
  with: the dataset's suggester alone, or, when ``settings.suggestion_source`` names a
  pipeline ("spacy:<name or path>"), both, the dataset's spans first.

A pipeline that cannot be used raises :class:`PipelineUnavailable`, whose message
names the pipeline and says what to do; the combined suggester then suggests the
dataset's spans alone and keeps the message in its ``problem``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import logging
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.suggest.dictionary import PERSON_LABELS, Suggestion
from app.core.suggest.learn import ORG_LABELS
from app.core.suggest.tokens import tokenize

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from app.core.settings import Settings

DATASET_SOURCE = "dataset"
SPACY_PREFIX = "spacy:"
# The labels pipelines give people and organisations (spaCy's English and multilingual pipelines, CoNLL, WikiNER).
PIPELINE_PERSON_LABELS = ("PERSON", "PER")
PIPELINE_ORG_LABELS = ("ORG", "ORGANIZATION", "ORGANISATION")
# The labels a dataset starts with (app/migrations), for callers that do not pass the dataset's own.
DEFAULT_DATASET_LABELS = ("PERSON", "ORG")
# Components that add nothing to entities; switched off so that a pipeline suggests faster.
# (In spaCy's sm/md/lg pipelines the entity recogniser has its own token vectors; in the
# transformer ones it listens to the transformer, which stays on.)
_NOT_FOR_ENTITIES = frozenset(
    {"tagger", "parser", "morphologizer", "lemmatizer", "trainable_lemmatizer", "attribute_ruler", "senter"}
)
_ENTITY_FACTORIES = frozenset({"ner", "beam_ner", "entity_ruler"})
_LOADING = threading.Lock()
LOGGER = logging.getLogger(__name__)

Suggester = Callable[[str], list[Suggestion]]


class PipelineUnavailable(Exception):
    """A spaCy pipeline chosen as a suggestion source cannot be used; the message says why and what to do."""


def spacy_installed() -> bool:
    return importlib.util.find_spec("spacy") is not None


def installed_pipelines() -> list[str]:
    """Names of the spaCy pipeline packages installed here, sorted; empty without spaCy.

    Read from the packages' ``spacy_models`` entry points, as ``spacy.util.get_installed_models()``
    does, without importing spaCy (a second and more, too slow for opening a dialog).
    """
    if not spacy_installed():
        return []
    return sorted({entry.name for entry in importlib.metadata.entry_points(group="spacy_models")})


def source_pipeline(source: str) -> str | None:
    """The pipeline a ``suggestion_source`` setting names ("spacy:en_core_web_sm"), or None for the dataset."""
    if source.startswith(SPACY_PREFIX):
        return source[len(SPACY_PREFIX) :].strip() or None
    return None


def default_label_map(dataset_labels: Iterable[str]) -> dict[str, str]:
    """Pipeline label → dataset label: a pipeline's person and organisation labels to the dataset's
    (PERSON/PER → the dataset's person label, ORG → its organisation label), and every dataset label
    to itself (a dataset with LOC takes a pipeline's LOC)."""
    labels = list(dataset_labels)
    mapping = {label: label for label in labels}
    for pipeline_labels, dataset_kind in ((PIPELINE_PERSON_LABELS, PERSON_LABELS), (PIPELINE_ORG_LABELS, ORG_LABELS)):
        target = next((label for label in labels if label.upper() in dataset_kind), None)
        if target is not None:
            for pipeline_label in pipeline_labels:
                mapping.setdefault(pipeline_label, target)
    return mapping


class SpacySuggester:
    """Suggests the entities a spaCy pipeline finds, with the dataset's labels.

    ``name_or_path`` is an installed pipeline package ("en_core_web_sm") or a folder saved
    with ``nlp.to_disk``; ``label_map`` maps the pipeline's labels to the dataset's.
    """

    def __init__(self, name_or_path: str | Path, label_map: Mapping[str, str]) -> None:
        self.name = str(name_or_path)
        self.label_map = dict(label_map)
        self._nlp: Language | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The loaded pipeline is large and not always picklable: the receiving process loads its own.
        return {"name": self.name, "label_map": self.label_map}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name, self.label_map, self._nlp = state["name"], state["label_map"], None

    def describe(self) -> str:
        return f"spaCy pipeline {self.name}"

    def __call__(self, text: str) -> list[Suggestion]:
        nlp = self.load()
        if len(text) >= nlp.max_length:
            nlp.max_length = len(text) + 1  # an article is far below the memory this limit guards against
        return suggestions_from_doc(nlp(text), self.label_map)

    def load(self) -> Language:
        """The pipeline, loaded on first use; :class:`PipelineUnavailable` when it cannot be."""
        if self._nlp is None:
            with _LOADING:  # suggestions are computed off the GUI thread: a second caller waits for the first load
                nlp = _loaded_pipeline(self.name)
            _check_entities(nlp, self.name, self.label_map)
            self._nlp = nlp
        return self._nlp


@functools.lru_cache(maxsize=2)
def _loaded_pipeline(name: str) -> Language:
    """The pipeline, loaded once per process: the app builds a new suggester after every retraining,
    and loading a pipeline package takes a second or more. (A failure is not remembered.)"""
    return _load_pipeline(name)


def _load_pipeline(name: str) -> Language:
    if not spacy_installed():
        raise PipelineUnavailable(
            f"Suggestions from the spaCy pipeline {name} need spaCy, which is not installed. "
            "Install it with: pip install 'article-curator[spacy]', or choose "
            "\"This dataset's labels\" in Settings."
        )
    import spacy

    is_path = Path(name).exists()
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        if is_path:
            raise PipelineUnavailable(
                f"The folder {name} does not hold a spaCy pipeline that can be loaded ({exc}). "
                "Choose another suggestion source in Settings."
            ) from exc
        raise PipelineUnavailable(
            f"The spaCy pipeline {name} is not installed. Install it with: python -m spacy download {name}, "
            "or choose another suggestion source in Settings."
        ) from exc
    except Exception as exc:  # noqa: BLE001 - a pipeline for another spaCy version fails in many ways
        raise PipelineUnavailable(
            f"The spaCy pipeline {name} could not be loaded: {exc}. It may be built for another version "
            f"of spaCy (this is {spacy.__version__}): reinstall it with: python -m spacy download {name}, "
            "or choose another suggestion source in Settings."
        ) from exc
    nlp.select_pipes(disable=[pipe for pipe in nlp.pipe_names if nlp.get_pipe_meta(pipe).factory in _NOT_FOR_ENTITIES])
    return nlp


def _check_entities(nlp: Language, name: str, label_map: Mapping[str, str]) -> None:
    """Refuse a pipeline that finds no entities, or none with a label the dataset has."""
    recognisers = [pipe for pipe in nlp.pipe_names if nlp.get_pipe_meta(pipe).factory in _ENTITY_FACTORIES]
    if not recognisers:
        raise PipelineUnavailable(
            f"The spaCy pipeline {name} does not recognise entities (it has no entity recogniser). "
            "Choose a pipeline with one, such as en_core_web_sm, in Settings."
        )
    labels = {label for pipe in recognisers for label in getattr(nlp.get_pipe(pipe), "labels", ())}
    if labels and not labels & label_map.keys():
        raise PipelineUnavailable(
            f"The spaCy pipeline {name} finds {', '.join(sorted(labels))}, none of which is a label of "
            "this dataset. Choose another suggestion source in Settings."
        )


def suggestions_from_doc(doc: Doc, label_map: Mapping[str, str]) -> list[Suggestion]:
    """The doc's entities as suggestions: labels mapped (unmapped dropped), spans widened to whole
    tokens of the app's tokenizer, overlaps after widening dropped, scores from the pipeline's span
    groups where it keeps them ("scores"), 1.0 otherwise."""
    text = doc.text
    tokens = tokenize(text)
    starts = [token.start for token in tokens]
    scores = _span_scores(doc)
    out: list[Suggestion] = []
    for ent in doc.ents:
        label = label_map.get(ent.label_)
        if label is None or not tokens:
            continue
        first = max(bisect_right(starts, ent.start_char) - 1, 0)
        if tokens[first].end <= ent.start_char:  # the entity starts in the space after a token
            first += 1
        last = bisect_right(starts, ent.end_char - 1) - 1
        if first > last or (out and tokens[first].start < out[-1]["end"]):
            continue
        start, end = tokens[first].start, tokens[last].end
        score = scores.get((ent.start_char, ent.end_char, ent.label_), 1.0)
        out.append(Suggestion(start=start, end=end, label=label, score=round(score, 4)))
    return out


def _span_scores(doc: Doc) -> dict[tuple[int, int, str], float]:
    """Scores a pipeline keeps for its spans (a span categorizer's ``doc.spans[key].attrs["scores"]``)."""
    scores: dict[tuple[int, int, str], float] = {}
    for group in doc.spans.values():
        values = group.attrs.get("scores")
        if values is None or len(values) != len(group):
            continue
        for span, score in zip(group, values, strict=True):
            scores[(span.start_char, span.end_char, span.label_)] = min(max(float(score), 0.0), 1.0)
    return scores


class CombinedSuggester:
    """Two suggesters as one: all of the first's spans, and the second's where they overlap none of them.

    When the second is a pipeline that cannot be used, the first's spans are still suggested:
    ``problem`` then holds the message saying why and what to do (it is logged once), for the
    window to show; the pipeline is not tried again.
    """

    def __init__(self, first: Suggester, second: Suggester) -> None:
        self.first = first
        self.second = second
        self.problem: str | None = None

    def describe(self) -> str:
        return " + ".join(_describe(s) for s in (self.first, self.second))

    def __call__(self, text: str) -> list[Suggestion]:
        kept = self.first(text)
        if self.problem is not None:
            return kept
        try:
            more = self.second(text)
        except PipelineUnavailable as exc:
            self.problem = str(exc)
            LOGGER.warning("Suggesting without the spaCy pipeline: %s", exc)
            return kept
        unblocked = getattr(self.first, "unblocked", None)  # strings rejected for good stay rejected
        if unblocked is not None:
            more = unblocked(text, more)
        taken = sorted((s["start"], s["end"]) for s in kept)
        starts = [start for start, _ in taken]
        for suggestion in more:
            i = bisect_right(starts, suggestion["start"])
            # Only the span starting at or before this one and the one after it can overlap it.
            neighbours = taken[max(i - 1, 0) : i + 1]
            if not any(start < suggestion["end"] and suggestion["start"] < end for start, end in neighbours):
                kept.append(suggestion)
        return sorted(kept, key=lambda s: s["start"])


def _describe(suggester: Suggester) -> str:
    describe = getattr(suggester, "describe", None)
    return describe() if callable(describe) else "this dataset's labels"


def with_pipeline(dataset_suggester: Suggester, settings: Settings,
                  labels: Iterable[str] = DEFAULT_DATASET_LABELS) -> Suggester:
    """The suggester the app uses: ``dataset_suggester`` itself when ``settings.suggestion_source`` is
    the dataset, else the dataset's spans first and the named pipeline's where they overlap none.

    ``labels`` are the dataset's entity labels, which the pipeline's labels are mapped to.
    """
    pipeline = source_pipeline(settings.suggestion_source)
    if pipeline is None:
        return dataset_suggester
    return CombinedSuggester(dataset_suggester, SpacySuggester(pipeline, default_label_map(labels)))
