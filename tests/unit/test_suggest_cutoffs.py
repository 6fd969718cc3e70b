"""Choosing cut-offs on held-out documents (app.core.suggest.blend.choose_cutoffs): its fast
evaluation (numbered groups, counts kept per document) gives what the plain evaluation of
``HeldOut.evaluate_document`` gives, step for step."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import pytest

from app.core.suggest.blend import (
    CANDIDATE_CUTOFFS,
    NEVER,
    HeldOut,
    Outcome,
    Scored,
    _Evaluator,
    choose_cutoffs,
    outcome,
)
from app.core.suggest.dictionary import Group, cutoff_of

RULES = ("entry", "extended", "repeat")
LABELS = ("PERSON", "ORG")


def random_held_out(rng: random.Random, layers: Sequence[str]) -> HeldOut:
    """Documents whose layers suggest spans that overlap across layers (not within one), some
    with a fallback inside them, about half of them gold."""
    gold, predictions = [], {name: [] for name in layers}
    for _ in range(rng.randint(5, 30)):
        spans: set[tuple[int, int, str]] = set()
        for name in layers:
            document: list[Scored] = []
            position = rng.randint(0, 5)
            for _ in range(rng.randint(0, 8)):
                start, end = position, position + rng.randint(1, 8)
                position = end + rng.randint(0, 6)
                label = rng.choice(LABELS)
                fallback = None
                if end - start > 2 and rng.random() < 0.3:
                    inner = rng.choice(((start + 1, end), (start, end - 1)))
                    fallback = (*inner, label, rng.random(), ("unextended", label), None)
                    if rng.random() < 0.5:
                        spans.add((*inner, label))
                rule = name if name != "dictionary" else rng.choice(RULES)
                document.append((start, end, label, rng.random(), (rule, rng.choice((label, "*"))), fallback))
                if rng.random() < 0.5:
                    spans.add((start, end, label))
            predictions[name].append(document)
        gold.append(spans | {(500, 505, "ORG")} if rng.random() < 0.3 else spans)
    return HeldOut(gold, predictions)


def plain_choose_cutoffs(held_out: HeldOut, order: Sequence[str], fixed: Mapping[Group, float] | None = None,
                         fixed_rules: Sequence[str] = ()) -> tuple[dict[Group, float], Outcome]:
    """``choose_cutoffs`` as it reads, with every document evaluated afresh each time."""
    items: dict[Group, list[tuple[float, int]]] = {}
    for name in order:
        for index, document in enumerate(held_out.predictions[name]):
            for item in document:
                items.setdefault(item[4], []).append((item[3], index))
                if item[5] is not None:
                    items.setdefault(item[5][4], []).append((item[5][3], index))
    cutoffs = {group: cutoff_of(fixed or {}, group) if group[0] in fixed_rules else NEVER for group in items}
    counts = [held_out.evaluate_document(index, order, cutoffs) for index in range(len(held_out.gold))]
    best = (outcome(sum(c[0] for c in counts), sum(c[1] for c in counts), held_out.gold_count), dict(cutoffs))
    while True:
        move = None
        for group, scored in items.items():
            if group[0] in fixed_rules:
                continue
            for value in (v for v in CANDIDATE_CUTOFFS if v < cutoffs[group]):
                documents = {index for score, index in scored if value <= score < cutoffs[group]}
                trial = {**cutoffs, group: value}
                changed = {index: held_out.evaluate_document(index, order, trial) for index in documents}
                gained = sum(count[0] - counts[index][0] for index, count in changed.items())
                lost = sum(count[1] - counts[index][1] for index, count in changed.items())
                if not documents or (gained <= 0 and lost >= 0):
                    continue
                key = (gained / (gained + lost) if gained + lost > 0 and lost > 0 else 2.0, gained)
                if move is None or key > move[0]:
                    move = (key, group, value, changed)
        if move is None:
            return best[1], best[0]
        _, group, value, changed = move
        cutoffs[group] = value
        for index, count in changed.items():
            counts[index] = count
        result = outcome(sum(c[0] for c in counts), sum(c[1] for c in counts), held_out.gold_count)
        if result.key() > best[0].key():
            best = (result, dict(cutoffs))


ORDERS = (("dictionary",), ("crf", "dictionary"), ("starter", "crf", "dictionary"), ("dictionary", "starter"), ())


@pytest.mark.parametrize("seed", range(12))
def test_cutoffs_chosen_are_those_of_the_plain_evaluation(seed: int) -> None:
    rng = random.Random(seed)
    held_out = random_held_out(rng, ("dictionary", "crf", "starter"))
    for order in ORDERS:
        assert choose_cutoffs(held_out, order) == plain_choose_cutoffs(held_out, order)
    fixed = {("starter", "*"): 0.8}
    assert choose_cutoffs(held_out, ("starter", "dictionary"), fixed, fixed_rules=["starter"]) == plain_choose_cutoffs(
        held_out, ("starter", "dictionary"), fixed, fixed_rules=["starter"]
    )


@pytest.mark.parametrize("seed", range(8))
def test_a_document_counted_again_from_what_was_kept_counts_as_afresh(seed: int) -> None:
    rng = random.Random(seed)
    held_out = random_held_out(rng, ("crf", "dictionary"))
    evaluator = _Evaluator(held_out, ("crf", "dictionary"))
    for _ in range(50):
        cutoffs = [rng.choice(CANDIDATE_CUTOFFS) for _ in evaluator.groups]
        as_dict = dict(zip(evaluator.groups, cutoffs, strict=True))
        for index in range(len(held_out.gold)):
            afresh = held_out.evaluate_document(index, ("crf", "dictionary"), as_dict)
            assert evaluator.evaluate_uncached(index, cutoffs) == afresh
            assert evaluator.evaluate(index, cutoffs) == afresh  # kept the first time, the same the next
            assert evaluator.evaluate(index, list(cutoffs)) == afresh


def _on_candidates(rng: random.Random, item: Scored | None) -> Scored | None:
    """The suggestion (and its fallback) scored at a candidate cut-off: at the edge of passing."""
    if item is None:
        return None
    return (*item[:3], rng.choice(CANDIDATE_CUTOFFS[:-1]), item[4], _on_candidates(rng, item[5]))


@pytest.mark.parametrize("seed", range(6))
def test_cutoffs_that_pass_the_same_suggestions_share_counts_and_only_those(seed: int) -> None:
    rng = random.Random(seed)
    drawn = random_held_out(rng, ("crf", "dictionary"))
    predictions = {name: [[_on_candidates(rng, item) for item in document] for document in documents]
                   for name, documents in drawn.predictions.items()}
    held_out = HeldOut(drawn.gold, predictions)
    evaluator = _Evaluator(held_out, ("crf", "dictionary"))
    for _ in range(100):
        cutoffs = [rng.choice(CANDIDATE_CUTOFFS) for _ in evaluator.groups]
        as_dict = dict(zip(evaluator.groups, cutoffs, strict=True))
        for index in range(len(held_out.gold)):
            assert evaluator.evaluate(index, cutoffs) == held_out.evaluate_document(index, ("crf", "dictionary"), as_dict)
    for order in (("dictionary",), ("crf", "dictionary"), ("dictionary", "crf")):
        assert choose_cutoffs(held_out, order) == plain_choose_cutoffs(held_out, order)
