"""What an operation changed: one record for every change the app makes, as Anki's ``OpChanges``.

Every core operation that changes a dataset (span edits, statuses, deletions,
labels, imports) or the user's settings returns a ``Changes``. The GUI sends
each one through its edit gateway on one signal, and each view refreshes only
what the record says concerns it, rather than one view telling another.

A span edit's record also keeps what undo needs: the span's state before and
after (``before``/``after``), or for many spans at once every state in text
order (``before["spans"]``/``after["spans"]``, in the order of ``span_ids``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ChangeKind(StrEnum):
    SPAN_ADDED = "span_added"
    SPAN_REMOVED = "span_removed"
    SPAN_CHANGED = "span_changed"
    SPANS_ADDED = "spans_added"  # many spans of one article at once (every occurrence of a name)
    SPANS_REMOVED = "spans_removed"
    STATUS_CHANGED = "status_changed"
    ARTICLES_ADDED = "articles_added"  # imported: their ids, or none when a whole dataset arrived (the sample)
    ARTICLES_DELETED = "articles_deleted"
    LABELS_CHANGED = "labels_changed"  # the label set: added, renamed, recoloured, rebound, deleted
    SETTINGS_CHANGED = "settings_changed"  # the user's settings (not in the dataset)
    ROLLED_BACK = "edits_rolled_back"  # edits not stored after all: show what the dataset holds again
    # A suggestion rejected (or the rejection taken back): no span changes, only what is suggested and its rates.
    SUGGESTION_REJECTED = "suggestion_rejected"
    SUGGESTIONS_STORED = "suggestions_stored"  # a precomputed layer of suggestions replaced for these articles
    # The entity registry: an entity created, renamed, merged, split, deleted; its aliases or details.
    ENTITIES_CHANGED = "entities_changed"
    SPANS_LINKED = "spans_linked"  # spans linked to an entity or unlinked (their offsets and labels unchanged)
    REVIEW_REJECTED = "review_rejected"  # a reviewer turned a span down for the gold layer (or took that back)
    # Another window, person or process changed these articles (none named: possibly any); read them again.
    CHANGED_ELSEWHERE = "changed_elsewhere"


SPAN_KINDS = frozenset({ChangeKind.SPAN_ADDED, ChangeKind.SPAN_REMOVED, ChangeKind.SPAN_CHANGED,
                        ChangeKind.SPANS_ADDED, ChangeKind.SPANS_REMOVED})


@dataclass(frozen=True)
class Changes:
    """Which articles, spans, labels, statuses and settings one operation (or several merged) changed."""

    kinds: frozenset[ChangeKind] = frozenset()
    article_ids: tuple[int, ...] = ()
    span_ids: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()  # label names, old and new ones of a rename
    statuses: tuple[str, ...] = ()  # the statuses articles were given
    settings: tuple[str, ...] = ()  # names of the settings that changed
    entity_ids: tuple[int, ...] = ()  # entities created, changed or deleted, or whose mentions changed
    # False when the change is shown (an edit's write may still be queued), True once the dataset holds it.
    saved: bool = False
    # What undo needs of a one-span edit; of a many-span edit, the states under "spans".
    span_id: int | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def edit(cls, kind: ChangeKind, article_ids: Iterable[int], span_id: int | None = None, *,
             span_ids: Iterable[int] = (), before: dict[str, Any] | None = None,
             after: dict[str, Any] | None = None) -> Changes:
        """The record of one edit of spans or statuses (what undo reverses)."""
        ids = tuple(span_ids) or ((span_id,) if span_id is not None else ())
        status = (after or {}).get("status") if kind is ChangeKind.STATUS_CHANGED else None
        statuses = tuple(sorted(set(status.values()))) if isinstance(status, dict) else (status,) if status else ()
        return cls(frozenset({kind}), tuple(article_ids), ids, statuses=statuses, span_id=span_id,
                   before=dict(before or {}), after=dict(after or {}))

    @classmethod
    def of(cls, *kinds: ChangeKind, article_ids: Iterable[int] = (), labels: Iterable[str] = (),
           settings: Iterable[str] = ()) -> Changes:
        return cls(frozenset(kinds), tuple(article_ids), labels=tuple(labels), settings=tuple(settings))

    @property
    def kind(self) -> ChangeKind:
        """The one kind of a single operation's record (a merged record has several: use ``kinds``)."""
        if len(self.kinds) != 1:
            raise ValueError(f"A record of {len(self.kinds)} kinds of change has no single kind.")
        return next(iter(self.kinds))

    def merge(self, other: Changes) -> Changes:
        """Both records as one: what either changed. Undo states are dropped (a merge is not one edit)."""
        return Changes(
            self.kinds | other.kinds,
            _union(self.article_ids, other.article_ids),
            _union(self.span_ids, other.span_ids),
            _union(self.labels, other.labels),
            _union(self.statuses, other.statuses),
            _union(self.settings, other.settings),
            _union(self.entity_ids, other.entity_ids),
            saved=self.saved and other.saved,
        )

    __or__ = merge

    @property
    def empty(self) -> bool:
        return not self.kinds

    def has(self, *kinds: ChangeKind) -> bool:
        return not self.kinds.isdisjoint(kinds)

    def touches_article(self, article_id: int) -> bool:
        return article_id in self.article_ids

    def touches_spans(self) -> bool:
        return not self.kinds.isdisjoint(SPAN_KINDS)

    def touches_labels(self) -> bool:
        return ChangeKind.LABELS_CHANGED in self.kinds

    def touches_setting(self, name: str) -> bool:
        return ChangeKind.SETTINGS_CHANGED in self.kinds and name in self.settings

    def touches_suggestions(self) -> bool:
        """Whether what is suggested for these articles, or how often suggestions are accepted, may have changed.

        Spans count: a new span hides suggestions under it, and one with origin
        "suggested" is an accepted suggestion.
        """
        return self.touches_spans() or self.has(ChangeKind.SUGGESTION_REJECTED, ChangeKind.SUGGESTIONS_STORED,
                                                ChangeKind.ROLLED_BACK, ChangeKind.LABELS_CHANGED,
                                                ChangeKind.ARTICLES_DELETED)

    def touches_entities(self) -> bool:
        """Whether the registry, or its mention and article counts, may have changed.

        An added span counts when it comes linked (an undone removal of a mention, or of a claim with its
        claimant).
        """
        added: list[dict[str, Any]] = []
        if ChangeKind.SPAN_ADDED in self.kinds:
            added = [self.after]
        elif ChangeKind.SPANS_ADDED in self.kinds:
            added = self.after.get("spans", [])
        return self.has(ChangeKind.ENTITIES_CHANGED, ChangeKind.SPANS_LINKED, ChangeKind.SPAN_REMOVED,
                        ChangeKind.SPANS_REMOVED, ChangeKind.SPAN_CHANGED, ChangeKind.ARTICLES_DELETED,
                        ChangeKind.LABELS_CHANGED, ChangeKind.ROLLED_BACK) or \
            any(state.get("entity_id") is not None or state.get("claimant_id") is not None for state in added)

    def touches_entity(self, entity_id: int) -> bool:
        return entity_id in self.entity_ids

    def changes_article_rows(self) -> bool:
        """Whether an article's counts, status or edit time changed (what a list of articles shows)."""
        return self.touches_spans() or self.has(ChangeKind.STATUS_CHANGED, ChangeKind.ROLLED_BACK,
                                                ChangeKind.CHANGED_ELSEWHERE)


def _union(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(first + second))  # in order, each once
