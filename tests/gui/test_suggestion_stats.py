"""The status bar shows the share of suggestions accepted per label, and follows the change channel."""

from __future__ import annotations

import pytest

from app.core.changes import ChangeKind, Changes
from app.core.ops import span_edits
from app.core.suggest import service
from app.widgets import suggestion_stats
from app.widgets.suggestion_stats import describe_rates, moves_rates


def _accept(store, article_id, start, end, label):  # type: ignore[no-untyped-def]
    return span_edits.add_span(store, article_id, start, end, label, annotator="ana", origin="suggested")


def test_the_status_bar_shows_the_rates_and_follows_accepts_rejects_and_undo(make_window, sample_store, qtbot,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(sample_store)
    stats = window.suggestion_stats
    assert stats.parent() is window.statusBar() or window.statusBar().isAncestorOf(stats)
    assert not stats.isVisible()  # nothing decided yet

    gateway = window.gateway
    gateway.run(lambda store: _accept(store, 3, 0, 16, "ORG"))  # "Solvane Robotics"
    assert stats.isVisible() and stats.text() == "Suggestions accepted: ORG 100%"
    gateway.run(lambda store: service.reject_suggestion(store, 3, 23, 34, "ORG", annotator="ana"))
    gateway.run(lambda store: service.reject_suggestion(store, 3, 23, 34, "PERSON", annotator="ana"))
    assert stats.text() == "Suggestions accepted: PERSON 0% · ORG 50%"
    assert "ORG: 1 accepted, 1 rejected" in stats.toolTip()
    gateway.run(lambda store: service.unreject_suggestion(store, 3, 23, 34, "PERSON"))  # an undone rejection
    assert stats.text() == "Suggestions accepted: ORG 50%"

    # A manual span does not send the status bar back to the dataset.
    reads = []
    read = service.acceptance_rates
    monkeypatch.setattr(suggestion_stats.service, "acceptance_rates", lambda store: reads.append(store) or read(store))
    window.gateway.add_span(2, 0, 5, "PERSON")
    window.gateway.wait_until_saved()
    assert reads == []
    # Removing an accepted suggestion does.
    gateway.run(lambda store: span_edits.remove_span(store, span_edits.find_span(store, {
        "article_id": 3, "start": 0, "end": 16, "label": "ORG", "annotator": "ana"})))
    assert len(reads) == 1 and stats.text() == "Suggestions accepted: ORG 0%"


def test_which_changes_move_the_rates() -> None:
    suggested = {"article_id": 1, "start": 0, "end": 4, "label": "ORG", "origin": "suggested"}
    manual = {**suggested, "origin": "manual"}
    assert moves_rates(Changes.edit(ChangeKind.SPAN_ADDED, (1,), 5, after=suggested))
    assert not moves_rates(Changes.edit(ChangeKind.SPAN_ADDED, (1,), 5, after=manual))
    assert moves_rates(Changes.edit(ChangeKind.SPAN_REMOVED, (1,), 5, before=suggested))
    assert moves_rates(Changes.edit(ChangeKind.SPAN_CHANGED, (1,), 5, before=suggested,
                                    after={**suggested, "label": "PERSON"}))
    assert moves_rates(Changes.edit(ChangeKind.SPANS_ADDED, (1,), span_ids=(5, 6),
                                    after={"spans": [manual, suggested]}))
    assert not moves_rates(Changes.edit(ChangeKind.SPANS_REMOVED, (1,), span_ids=(5,), before={"spans": [manual]}))
    assert not moves_rates(Changes.edit(ChangeKind.STATUS_CHANGED, (1,), after={"status": "done"}))
    assert not moves_rates(Changes.of(ChangeKind.SUGGESTIONS_STORED, article_ids=(1,)))
    for kind in (ChangeKind.SUGGESTION_REJECTED, ChangeKind.LABELS_CHANGED, ChangeKind.ARTICLES_DELETED,
                 ChangeKind.ROLLED_BACK):
        assert moves_rates(Changes.of(kind))
    merged = Changes.edit(ChangeKind.SPAN_ADDED, (1,), 5, after=manual) | Changes.edit(
        ChangeKind.SPAN_REMOVED, (1,), 6, before=manual)
    assert moves_rates(merged)  # the states are gone: read again to be sure


def test_rates_read_as_whole_percents_in_label_order() -> None:
    assert describe_rates({}) == ""
    assert describe_rates({"PERSON": (41, 9), "ORG": (16, 9)}) == "Suggestions accepted: PERSON 82% · ORG 64%"


def test_a_rejection_leaves_the_library_rows_and_the_panel_spans_alone(make_window, sample_store,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(sample_store)
    window.open_article(3)
    calls: list[str] = []
    library, panel = window.panes.library, window.panes.annotation
    monkeypatch.setattr(library.model, "_forget_rows", lambda ids: calls.append("rows"))
    monkeypatch.setattr(library.model, "refresh", lambda: calls.append("library"))
    monkeypatch.setattr(library, "refresh", lambda: calls.append("library"))
    monkeypatch.setattr(panel, "_show_spans", lambda detail: calls.append("spans"))
    window.gateway.run(lambda store: service.reject_suggestion(store, 3, 0, 16, "ORG", annotator="ana"))
    assert calls == []
    assert window.suggestion_stats.text() == "Suggestions accepted: ORG 0%"
    window.gateway.run(lambda store: _accept(store, 3, 23, 34, "PERSON"))  # a span: the views do follow
    assert "rows" in calls and "spans" in calls
