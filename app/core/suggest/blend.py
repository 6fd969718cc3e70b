"""Suggestion sources blended into one suggester, and their cut-offs chosen on held-out documents.

A *layer* is a source of suggestions with a ``scored(text)`` method returning
``[(suggestion, rule), ...]``: the dictionary (its rules, see
``app.core.suggest.dictionary``) or a model (:class:`ModelLayer`, one rule, its name).
A suggestion belongs to the *group* ``(rule, label)``; each group has a score cut-off
(``(rule, dictionary.ANY)`` gives one to all labels of a rule not given their own).

:class:`BlendedSuggester` asks its layers in order: a layer's suggestions at or above
their group's cut-off are kept where they overlap nothing kept from the layers before
it. So the first layer takes precedence, the later ones fill in.

:func:`choose_cutoffs` picks the cut-offs from the layers' suggestions on documents
they were not trained on: the highest strict F1 whose precision is at least
``PRECISION_TARGET`` by a margin (when none reaches it, the highest precision).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

from app.core.suggest.crf import CrfModel
from app.core.suggest.dictionary import Group, RuledSuggestion, Suggestion, cutoff_of, passing
from app.core.suggest.tokens import fold_all, tokenize

PRECISION_TARGET = 0.7
MARGIN = 1.0  # standard errors of the held-out precision (see Outcome.meets_target)
NEVER = math.inf  # the cut-off of a group that is left out
# The cut-offs tried for each group: few, so that a small hold-out cannot be overfitted finely.
CANDIDATE_CUTOFFS = (0.0, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, NEVER)

GoldSpan = tuple[int, int, str]
# start, end, label, score, group, and what to fall back to when cut off (see RuledSuggestion)
Scored = tuple[int, int, str, float, Group, "Scored | None"]
LayerOnDocument = Callable[[int, str], list[RuledSuggestion]]  # a document's index and text → suggestions


class Layer(Protocol):
    def scored(self, text: str) -> list[RuledSuggestion]: ...


class ModelLayer:
    """A :class:`CrfModel` as a layer: its labels renamed by ``label_map`` (labels not in
    it are dropped; ``None`` keeps all as they are), its rule ``name``."""

    def __init__(self, model: CrfModel, name: str, label_map: Mapping[str, str] | None = None) -> None:
        self.model = model
        self.name = name
        self.label_map = dict(label_map) if label_map is not None else None

    def scored(self, text: str) -> list[RuledSuggestion]:
        found = []
        for suggestion in self.model.predict(text):
            label = suggestion["label"] if self.label_map is None else self.label_map.get(suggestion["label"])
            if label is not None:
                suggestion["label"] = label
                found.append(RuledSuggestion(suggestion, self.name))
        return found


class BlendedSuggester:
    """Calling it on a text gives the layers' suggestions, blended (see the module).

    ``blocked`` holds ``(folded tokens, label)`` of strings the annotator rejected more
    often than labelled: no layer suggests them. ``describe()`` says what it holds.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        cutoffs: Mapping[Group, float] | None = None,
        *,
        blocked: Iterable[tuple[tuple[str, ...], str]] = (),
        size: int = 0,
        description: str = "",
    ) -> None:
        self.layers = list(layers)
        self.cutoffs = dict(cutoffs or {})
        self.blocked = frozenset(blocked)
        self.size = size
        self.description = description

    def __len__(self) -> int:
        return self.size

    def describe(self) -> str:
        return self.description

    def __call__(self, text: str) -> list[Suggestion]:
        cutoffs = self.cutoffs
        kept: list[Suggestion] = []
        for layer in self.layers:
            kept = fill_in(kept, passing(layer.scored(text), cutoffs))
        return self.unblocked(text, kept)

    def unblocked(self, text: str, suggestions: list[Suggestion]) -> list[Suggestion]:
        """The suggestions whose string and label the annotator has not rejected for good
        (other sources' suggestions, such as a spaCy pipeline's, go through this too)."""
        if not self.blocked:
            return suggestions
        return [s for s in suggestions if (_key(text[s["start"] : s["end"]]), s["label"]) not in self.blocked]


def _key(surface: str) -> tuple[str, ...]:
    return tuple(fold_all(tokenize(surface)))


def fill_in(kept: list[Suggestion], new: list[Suggestion]) -> list[Suggestion]:
    """``kept`` (sorted, not overlapping) plus the ``new`` spans that overlap none of it, sorted.

    The new spans do not overlap each other (each layer's suggestions do not)."""
    if not kept:
        return sorted(new, key=_start)
    ends = [s["end"] for s in kept]  # sorted too, as kept spans do not overlap
    added = []
    for span in new:
        after = bisect.bisect_right(ends, span["start"])  # the first kept span ending after this one starts
        if after == len(kept) or kept[after]["start"] >= span["end"]:
            added.append(span)
    return sorted(kept + added, key=_start) if added else kept


def _start(span: Suggestion) -> int:
    return span["start"]


class Outcome(NamedTuple):
    precision: float
    recall: float
    f1: float
    predicted: int  # suggestions made

    def meets_target(self) -> bool:
        """Precision at or above the target, with a margin of ``MARGIN`` standard errors:
        the cut-offs that just pass on held-out documents tend to fall short on new ones."""
        error = math.sqrt(self.precision * (1 - self.precision) / self.predicted) if self.predicted else 1.0
        return self.precision - MARGIN * error >= PRECISION_TARGET

    def key(self) -> tuple[bool, float]:
        """Better outcomes have larger keys: meeting the precision target first, then F1
        (below the target, precision)."""
        meets = self.meets_target()
        return meets, self.f1 if meets else self.precision


def outcome(true_positives: int, false_positives: int, gold: int) -> Outcome:
    predicted = true_positives + false_positives
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Outcome(precision, recall, f1, predicted)


class HeldOut:
    """The layers' suggestions on held-out documents, with the documents' gold spans.

    ``predictions[layer][doc]`` is that layer's scored suggestions for that document.
    """

    def __init__(self, gold: list[set[GoldSpan]], predictions: Mapping[str, list[list[Scored]]]) -> None:
        self.gold = gold
        self.predictions = predictions
        self.gold_count = sum(len(spans) for spans in gold)

    @classmethod
    def collect(cls, gold: list[set[GoldSpan]], texts: list[str], layers: Mapping[str, LayerOnDocument]) -> HeldOut:
        """Asks each layer, given a document's index and text, for its suggestions on every text."""
        predictions = {
            name: [[_scored(ruled) for ruled in scored(index, text)] for index, text in enumerate(texts)]
            for name, scored in layers.items()
        }
        return cls(gold, predictions)

    def evaluate(self, order: Sequence[str], cutoffs: Mapping[Group, float]) -> Outcome:
        """The blend of the layers in ``order`` with ``cutoffs``, scored against the gold spans."""
        true_positives = false_positives = 0
        for index in range(len(self.gold)):
            hits, misses = self.evaluate_document(index, order, cutoffs)
            true_positives += hits
            false_positives += misses
        return outcome(true_positives, false_positives, self.gold_count)

    def evaluate_document(self, index: int, order: Sequence[str], cutoffs: Mapping[Group, float]) -> tuple[int, int]:
        """(true positives, false positives) of the blend on one document."""
        gold = self.gold[index]
        hits = misses = 0
        before: list[tuple[int, int]] = []  # spans kept from the layers before
        for name in order:
            kept = []
            for item in self.predictions[name][index]:
                if item[3] < cutoff_of(cutoffs, item[4]):
                    if item[5] is None or item[5][3] < cutoff_of(cutoffs, item[5][4]):
                        continue
                    item = item[5]
                start, end, label = item[0], item[1], item[2]
                # A layer's own spans do not overlap: only the earlier layers' are compared.
                if before and any(s < end and start < e for s, e in before):
                    continue
                kept.append((start, end))
                if (start, end, label) in gold:
                    hits += 1
                else:
                    misses += 1
            before.extend(kept)
        return hits, misses


def _scored(ruled: RuledSuggestion) -> Scored:
    suggestion, rule, fallback = ruled
    return (
        suggestion["start"],
        suggestion["end"],
        suggestion["label"],
        suggestion["score"],
        (rule, suggestion["label"]),
        None if fallback is None else _scored(fallback),
    )


def choose_cutoffs(
    held_out: HeldOut, order: Sequence[str], fixed: Mapping[Group, float] | None = None, fixed_rules: Iterable[str] = ()
) -> tuple[dict[Group, float], Outcome]:
    """Cut-offs of the groups of the layers in ``order`` that give the best outcome on
    the held-out documents (see ``Outcome.key``). The groups of ``fixed_rules`` keep
    their cut-off in ``fixed`` (too few held-out spans to judge a model by).

    From everything cut off, each step lowers the one group's cut-off (to any lower
    candidate) that adds suggestions of the highest precision: the steps trace the
    precision-recall frontier, and the best point on it is taken.
    """
    evaluator = _Evaluator(held_out, order)
    groups = evaluator.groups
    frozen = frozenset(fixed_rules)
    # cutoffs[g] is the cut-off of groups[g]
    cutoffs = [cutoff_of(fixed or {}, group) if group[0] in frozen else NEVER for group in groups]
    # (true positives, false positives) per document
    counts = [evaluator.evaluate(index, cutoffs) for index in range(len(held_out.gold))]
    totals = (sum(count[0] for count in counts), sum(count[1] for count in counts))
    best = (outcome(*totals, held_out.gold_count), list(cutoffs))
    movable = {g: evaluator.scored[g] for g, group in enumerate(groups) if group[0] not in frozen}
    while True:
        move = _best_move(evaluator, movable, cutoffs, counts)
        if move is None:
            break
        g, value, changed = move
        cutoffs[g] = value
        for index, count in changed.items():
            totals = (totals[0] + count[0] - counts[index][0], totals[1] + count[1] - counts[index][1])
            counts[index] = count
        result = outcome(*totals, held_out.gold_count)
        if result.key() > best[0].key():
            best = (result, list(cutoffs))
    return dict(zip(groups, best[1], strict=True)), best[0]


def _best_move(
    evaluator: _Evaluator,
    items: Mapping[int, list[tuple[float, int]]],
    cutoffs: list[float],
    counts: list[tuple[int, int]],
) -> tuple[int, float, dict[int, tuple[int, int]]] | None:
    """The lowering of one group's cut-off whose added suggestions are the most precise
    (ties: the most true positives), with the new counts of the documents it changes."""
    best: tuple[tuple[float, int], int, float, dict[int, tuple[int, int]]] | None = None
    evaluator.next_step()
    for g, scored in items.items():
        current = cutoffs[g]
        for value in CANDIDATE_CUTOFFS:
            if value >= current:
                continue
            documents = {index for score, index in scored if value <= score < current}
            if not documents:
                continue
            trial = list(cutoffs)
            trial[g] = value
            changed = {index: evaluator.evaluate(index, trial) for index in documents}
            gained = sum(count[0] - counts[index][0] for index, count in changed.items())
            lost = sum(count[1] - counts[index][1] for index, count in changed.items())
            if gained <= 0 and lost >= 0:
                continue
            precision = gained / (gained + lost) if gained + lost > 0 and lost > 0 else 2.0
            key = (precision, gained)
            if best is None or key > best[0]:
                best = (key, g, value, changed)
    return None if best is None else best[1:]


# A suggestion as _Evaluator holds it: score, group number, whether gold, and the suggestions of
# the earlier layers it overlaps, each as (its number in the document, 1 itself or 2 its fallback).
_Variant = tuple[float, int, bool, list[tuple[int, int]]]
_Entry = tuple[_Variant, "_Variant | None"]  # a suggestion and its fallback


class _Evaluator:
    """``HeldOut.evaluate_document`` for the layers of one order, for choosing cut-offs:
    the same counts, fast enough to be asked ~100,000 times per training. Groups are
    numbered (``groups``; a list of cut-offs holds one per group); whether a suggestion
    is gold and which suggestions of earlier layers it overlaps is found once; and each
    document's counts are kept per suggestions of its groups that pass their cut-offs, as a
    step of ``choose_cutoffs`` asks again about documents no earlier move changed (and
    about cut-offs that pass the same suggestions)."""

    def __init__(self, held_out: HeldOut, order: Sequence[str]) -> None:
        self.groups: list[Group] = []
        self.scored: list[list[tuple[float, int]]] = []  # per group: (score, document) of its suggestions
        number: dict[Group, int] = {}
        for name in order:  # groups numbered layer by layer, as choose_cutoffs tries them in that order
            for index, document in enumerate(held_out.predictions[name]):
                for item in document:
                    for scored in (item, item[5]) if item[5] is not None else (item,):
                        if scored[4] not in number:
                            number[scored[4]] = len(self.groups)
                            self.groups.append(scored[4])
                            self.scored.append([])
                        self.scored[number[scored[4]]].append((scored[3], index))
        self.documents = [
            _entries(gold, [held_out.predictions[name][index] for name in order], number)
            for index, gold in enumerate(held_out.gold)
        ]
        self._groups_of = [
            sorted({variant[1] for entry in entries for variant in entry if variant is not None})
            for entries in self.documents
        ]
        # Per document, the scores of each of its groups in order: the counts depend on a cut-off
        # only through which of them pass, so cut-offs that pass the same ones share their counts.
        self._scores_of = [
            [sorted(variant[0] for entry in entries for variant in entry if variant is not None and variant[1] == g)
             for g in groups]
            for entries, groups in zip(self.documents, self._groups_of, strict=True)
        ]
        # The counts of this step and the step before (all a step asks again about, and no
        # more: the steps of a large dataset would fill the memory).
        self._counts: dict[tuple[int, tuple[int, ...]], tuple[int, int]] = {}
        self._before: dict[tuple[int, tuple[int, ...]], tuple[int, int]] = {}

    def next_step(self) -> None:
        """Forget the counts of steps before the one that ends."""
        self._before, self._counts = self._counts, {}

    def evaluate(self, index: int, cutoffs: list[float]) -> tuple[int, int]:
        """(true positives, false positives) of the blend on document ``index`` with ``cutoffs``."""
        # How many of each group's scores fall below its cut-off (those are cut off).
        key = (index, tuple([
            bisect.bisect_left(scores, cutoffs[g])
            for g, scores in zip(self._groups_of[index], self._scores_of[index], strict=True)
        ]))
        counts = self._counts.get(key)
        if counts is None:
            counts = self._before.get(key)
            if counts is None:
                counts = self.evaluate_uncached(index, cutoffs)
            self._counts[key] = counts
        return counts

    def evaluate_uncached(self, index: int, cutoffs: list[float]) -> tuple[int, int]:
        hits = misses = 0
        entries = self.documents[index]
        kept = [0] * len(entries)  # 1: the suggestion kept, 2: its fallback
        for position, (variant, fallback) in enumerate(entries):
            which = 1
            if variant[0] < cutoffs[variant[1]]:
                if fallback is None or fallback[0] < cutoffs[fallback[1]]:
                    continue
                variant, which = fallback, 2
            if variant[3] and any(kept[other] == was for other, was in variant[3]):
                continue
            kept[position] = which
            if variant[2]:
                hits += 1
            else:
                misses += 1
        return hits, misses


def _entries(gold: set[GoldSpan], layers: list[list[Scored]], number: Mapping[Group, int]) -> list[_Entry]:
    """A document's suggestions, layer after layer, as ``_Evaluator`` holds them."""
    entries: list[_Entry] = []
    spans: list[tuple[int, int, int, int]] = []  # start, end, number, 1 or 2 of the earlier layers' suggestions
    for layer in layers:
        first = len(entries)
        for item in layer:
            variants = [
                None if scored is None else (
                    scored[3],
                    number[scored[4]],
                    (scored[0], scored[1], scored[2]) in gold,
                    # A layer's own spans do not overlap: only the earlier layers' are compared.
                    [(other, was) for start, end, other, was in spans if start < scored[1] and scored[0] < end],
                )
                for scored in (item, item[5])
            ]
            main, fallback = variants
            assert main is not None  # a suggestion itself is never missing, only its fallback
            entries.append((main, fallback))
        for position, item in enumerate(layer, first):
            spans.append((item[0], item[1], position, 1))
            if item[5] is not None:
                spans.append((item[5][0], item[5][1], position, 2))
    return entries


def describe_cutoffs(cutoffs: Mapping[Group, float]) -> str:
    parts = []
    for (rule, label), value in sorted(cutoffs.items()):
        parts.append(f"{rule} {label} {'off' if value == NEVER else f'≥{value:g}'}")
    return ", ".join(parts)

