"""Adjudication: the annotators' layers of one article merged into candidates for the gold layer.

A candidate is a span (start, end, label) that at least one annotator's layer
holds and the gold layer does not. It is *agreed* when every annotator of the
article made it with the same claim attributes; agreed candidates are accepted
into the gold layer when the reviewer opens the article, so only disagreements
are left to decide: accept copies one into the gold layer, reject records it
(table ``review_rejection``) so it is not offered again for that article.

The annotators of an article are those with a span in it or who marked it done;
a layer that is empty because its annotator found nothing counts as a "no".
Claim attributes (claimant, verdict, note) are merged the same way: a value
all makers of the span agree on is taken, and conflicting values are shown
together, the most common one (then the first annotator's by name) preselected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text

from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.core.team.identity import GOLD_LAYER, has_gold  # noqa: F401 - review's name for it too
from app.models import db_timestamp

Key = tuple[int, int, str]  # start, end, label


class LayerSpan(Protocol):
    """What review needs of a stored span (``library.SpanRecord`` has it)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def annotator(self) -> str: ...
    @property
    def attributes(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    label: str
    text: str
    by: tuple[str, ...]  # the annotators whose layer holds it, by name
    without: tuple[str, ...]  # the article's other annotators, whose layer lacks it
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # each maker's claim attributes

    @property
    def key(self) -> Key:
        return self.start, self.end, self.label

    @property
    def conflicts(self) -> dict[str, dict[str, Any]]:
        """Each attribute the makers gave different values, with every maker's value: {name: {who: value}}."""
        names = sorted({name for attrs in self.attributes.values() for name in attrs})
        found = {}
        for name in names:
            values = {who: attrs.get(name, "") for who, attrs in self.attributes.items()}
            if len({_hashable(v) for v in values.values()}) > 1:
                found[name] = values
        return found

    @property
    def agreed(self) -> bool:
        """Every annotator of the article made it, alike: nothing for the reviewer to decide."""
        return len(self.by) >= 2 and not self.without and not self.conflicts

    def merged_attributes(self) -> dict[str, Any]:
        """The attributes the gold span gets: agreed values, and the most common of conflicting ones."""
        merged: dict[str, Any] = {}
        for who in self.by:  # in name order: the first annotator's value breaks a tie
            for name, value in self.attributes.get(who, {}).items():
                merged.setdefault(name, value)
        for name, values in self.conflicts.items():
            counts = Counter(_hashable(v) for v in values.values())
            best = max(counts.values())
            merged[name] = next(v for who, v in sorted(values.items()) if counts[_hashable(v)] == best)
        return merged


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (dict, list)) else value


def candidates(spans: Iterable[LayerSpan], annotators: Iterable[str], rejected: set[Key] = frozenset()  # type: ignore[assignment]
               ) -> list[Candidate]:
    """The candidates of one article from all its spans (every layer), in text order.

    ``annotators`` adds those who finished the article without a span of their own.
    """
    spans = list(spans)
    gold = {(s.start, s.end, s.label) for s in spans if s.annotator == GOLD_LAYER}
    everyone = sorted({s.annotator for s in spans if s.annotator != GOLD_LAYER} | set(annotators) - {GOLD_LAYER})
    makers: dict[Key, dict[str, LayerSpan]] = {}
    for s in spans:
        key = (s.start, s.end, s.label)
        if s.annotator != GOLD_LAYER and key not in gold and key not in rejected:
            makers.setdefault(key, {})[s.annotator] = s
    found = []
    for key in sorted(makers, key=lambda k: (k[0], -k[1], k[2])):
        by = makers[key]
        first = next(iter(by.values()))
        found.append(Candidate(key[0], key[1], key[2], first.text, tuple(sorted(by)),
                               tuple(a for a in everyone if a not in by),
                               {who: dict(s.attributes) for who, s in sorted(by.items())}))
    return found


def article_annotators(store: Store, article_id: int) -> list[str]:
    """Who annotated the article: a span in it, or marked it done (an empty layer is an answer too)."""
    with store.begin() as conn:
        rows = conn.execute(text(
            "SELECT annotator FROM span WHERE article_id = :a UNION "
            "SELECT annotator FROM article_status WHERE article_id = :a AND status = 'done'"), {"a": article_id})
        return sorted(r[0] for r in rows if r[0] != GOLD_LAYER)


def was_reviewed(store: Store, article_id: int) -> bool:
    """Whether a reviewer has worked on the article: the gold layer has a status there (its first span, or
    a mark, made one). Agreed spans are accepted only on the first review: what a reviewer took out since,
    or undid, stays out."""
    with store.begin() as conn:
        return conn.execute(text("SELECT 1 FROM article_status WHERE article_id = :a AND annotator = :g"),
                            {"a": article_id, "g": GOLD_LAYER}).first() is not None


def rejected(store: Store, article_id: int) -> set[Key]:
    with store.begin() as conn:
        return {(int(s), int(e), str(lb)) for s, e, lb in conn.execute(text(
            'SELECT r.start, r."end", label.name FROM review_rejection r JOIN label ON label.id = r.label_id '
            "WHERE r.article_id = :a"), {"a": article_id})}


def rejection_changes(article_id: int, key: Key, *, rejected_now: bool) -> Changes:
    state = {"article_id": article_id, "start": key[0], "end": key[1], "label": key[2]}
    return Changes(frozenset({ChangeKind.REVIEW_REJECTED}), (article_id,), labels=(key[2],),
                   before={} if rejected_now else state, after=state if rejected_now else {})


def reject(store: Store, article_id: int, key: Key, *, reviewer: str) -> Changes:
    """Turn a candidate down for the gold layer; doing it again changes nothing."""
    start, end, label = key
    with store.begin() as conn:
        label_id = conn.execute(text("SELECT id FROM label WHERE name = :n"), {"n": label}).scalar()
        if label_id is None:
            raise InvalidInput(f"There is no label {label!r} any more.")
        conn.execute(text(
            'INSERT INTO review_rejection (article_id, start, "end", label_id, reviewer, created_at) '
            "VALUES (:a, :s, :e, :l, :who, :now) ON CONFLICT DO NOTHING"),
            {"a": article_id, "s": start, "e": end, "l": label_id, "who": reviewer, "now": db_timestamp()})
    return rejection_changes(article_id, key, rejected_now=True)


def unreject(store: Store, article_id: int, key: Key) -> Changes:
    """Offer a rejected candidate again (the undo of ``reject``)."""
    start, end, label = key
    with store.begin() as conn:
        conn.execute(text(
            'DELETE FROM review_rejection WHERE article_id = :a AND start = :s AND "end" = :e '
            "AND label_id = (SELECT id FROM label WHERE name = :l)"),
            {"a": article_id, "s": start, "e": end, "l": label})
    return rejection_changes(article_id, key, rejected_now=False)


def describe(candidate: Candidate) -> str:
    """One line for the reviewer: the span, who made it and who did not, and conflicting attributes."""
    said = f"{candidate.label} “{candidate.text}” — by {', '.join(candidate.by)}"
    if candidate.without:
        said += f"; not by {', '.join(candidate.without)}"
    for name, values in candidate.conflicts.items():
        shown = " · ".join(f"{v or '(none)'} ({who})" for who, v in values.items())
        said += f"; {name}: {shown}"
    return said


