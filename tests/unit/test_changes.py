"""The Changes record every operation returns: kinds, merging, what it touches; and the core rules of spans."""

from __future__ import annotations

import pytest

from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store
from app.core.ingest.importer import ImportReport, ItemOutcome, imported_changes
from app.core.ops import labels, span_rules
from app.core.ops.library import SpanRecord
from app.core.settings import Settings, update_settings


def test_kinds_are_a_str_enum_and_one_record_has_one_kind() -> None:
    edit = Changes.edit(ChangeKind.SPAN_ADDED, (3,), 7, after={"label": "ORG"})
    assert edit.kind is ChangeKind.SPAN_ADDED and edit.kind == "span_added"
    assert edit.span_ids == (7,) and edit.touches_article(3) and not edit.touches_article(4)
    assert edit.touches_spans() and not edit.touches_labels() and not edit.saved
    status = Changes.edit(ChangeKind.STATUS_CHANGED, (1, 2), after={"status": "done"})
    assert status.statuses == ("done",) and status.changes_article_rows() and not status.touches_spans()
    restored = Changes.edit(ChangeKind.STATUS_CHANGED, (1, 2), after={"status": {1: "new", 2: "done"}})
    assert restored.statuses == ("done", "new")


def test_merge_keeps_what_either_changed_and_drops_the_undo_states() -> None:
    spans = Changes.edit(ChangeKind.SPANS_ADDED, (1,), span_ids=(5, 6), after={"spans": [{}, {}]})
    more = Changes.edit(ChangeKind.SPAN_REMOVED, (1, 2), 6, before={"label": "ORG"})
    label = Changes.of(ChangeKind.LABELS_CHANGED, labels=("ORG", "ORGANISATION"))
    merged = spans | more | label
    assert merged.kinds == {ChangeKind.SPANS_ADDED, ChangeKind.SPAN_REMOVED, ChangeKind.LABELS_CHANGED}
    assert merged.article_ids == (1, 2) and merged.span_ids == (5, 6) and merged.labels == ("ORG", "ORGANISATION")
    assert merged.before == {} and merged.after == {} and merged.span_id is None
    assert merged.touches_labels() and merged.has(ChangeKind.SPAN_REMOVED)
    with pytest.raises(ValueError):
        _ = merged.kind
    assert Changes().empty and (Changes() | label) == label
    assert not (spans.merge(Changes(saved=True))).saved  # saved only when both are


def test_settings_changes_name_the_settings_that_changed() -> None:
    settings = Settings(annotator="ana")
    changes = update_settings(settings, annotator="maria", verdicts=list(settings.verdicts), fetch_timeout=5.0)
    assert settings.annotator == "maria" and settings.fetch_timeout == 5.0
    assert changes.kind is ChangeKind.SETTINGS_CHANGED and changes.settings == ("annotator", "fetch_timeout")
    assert changes.touches_setting("annotator") and not changes.touches_setting("verdicts")
    assert update_settings(settings, annotator="maria").empty


def test_label_operations_name_the_labels_they_touch(store: Store) -> None:
    added = labels.add_label(store, "LOCATION")
    assert added.kind is ChangeKind.LABELS_CHANGED and added.labels == ("LOCATION",)
    loc = next(lb for lb in labels.list_labels(store) if lb.name == "LOCATION")
    assert labels.update_label(store, loc.id, name="PLACE").labels == ("LOCATION", "PLACE")
    assert labels.update_label(store, loc.id, color="#123456").labels == ("PLACE",)
    assert labels.delete_label(store, loc.id).labels == ("PLACE",)


def test_an_import_report_carries_its_new_articles() -> None:
    report = ImportReport("b", [ItemOutcome("a", "imported", article_id=4), ItemOutcome("b", "duplicate", article_id=2),
                                ItemOutcome("c", "imported", article_id=9)])
    assert report.changes == imported_changes([4, 9])
    assert report.changes.kind is ChangeKind.ARTICLES_ADDED and report.changes.article_ids == (4, 9)
    assert imported_changes([]).empty


def _span(span_id: int, start: int, end: int, label: str, annotator: str = "ana") -> SpanRecord:
    return SpanRecord(span_id, start, end, label, "", annotator, "manual", {})


def test_span_rules_order_repeats_and_new_claims() -> None:
    spans = [_span(1, 5, 9, "ORG"), _span(2, 0, 4, "CLAIM"), _span(3, 0, 9, "PERSON"), _span(4, 0, 9, "CLAIM")]
    order = span_rules.span_order({"PERSON": 0, "ORG": 1, "CLAIM": 2})
    assert [s.id for s in sorted(spans, key=order)] == [3, 4, 2, 1]  # by start, longer first, then label
    assert span_rules.existing_span(spans, 5, 9, "ORG", "ana") is spans[0]
    assert span_rules.existing_span(spans, 5, 9, "ORG", "bo") is None

    state = {"article_id": 1, "start": 5, "end": 9, "label": "ORG", "annotator": "ana"}
    assert span_rules.is_repeat(state, 1, {})  # stored
    assert not span_rules.is_repeat(state, 1, {1: None})  # stored, but its removal is queued
    assert not span_rules.is_repeat(state, 1, {1: {**state, "label": "PERSON"}})  # relabelled since
    assert span_rules.is_repeat(state, None, {8: dict(state)})  # queued, not stored yet

    assert span_rules.new_claim_attributes(["doubtful", "true"]) == {"claimant": "", "verdict": "doubtful", "note": ""}
    assert span_rules.new_claim_attributes([])["verdict"] == "unverified"
