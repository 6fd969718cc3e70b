"""An annotator with a queue: Done and Next opens their next assigned article, and the library lists
"Assigned to me", driven through the window's own keys and filter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.core.ops import library
from tests.gui.test_keyboard import CTRL, assert_shows, stored_status, wait_for_list
from tests.gui.test_keyboard import window as window  # noqa: F401 -- the active window on the sample articles


def _assign(store, pairs: list[tuple[int, str]]) -> None:  # type: ignore[no-untyped-def]
    with store.begin() as conn:
        conn.execute(text("INSERT INTO assignment (article_id, annotator, created_at) VALUES (:a, :w, '2026-01-01')"),
                     [{"a": a, "w": w} for a, w in pairs])


def test_done_and_next_follows_my_queue_not_the_list(window, sample_store, qtbot) -> None:  # type: ignore[no-untyped-def]
    first, second, third = library.list_article_ids(sample_store)[:3]
    _assign(sample_store, [(first, "ana"), (third, "ana"), (second, "ben")])  # the window's annotator is ana
    window.open_article(first)

    QTest.keyClick(window, Qt.Key.Key_Return, CTRL)

    assert stored_status(window, first) == "done"
    assert_shows(window, third)  # ben's article in between is not ana's to do
    QTest.keyClick(window, Qt.Key.Key_Return, CTRL)
    assert stored_status(window, third) == "done"
    assert window.panes.annotation.current_article_id == third  # nothing left: it stays
    assert "Every article assigned to you is done" in window.statusBar().currentMessage()


def test_the_library_filters_to_the_articles_assigned_to_me(make_window, sample_store, qtbot, screenshot) -> None:  # type: ignore[no-untyped-def]
    first, second, _third = library.list_article_ids(sample_store)[:3]
    _assign(sample_store, [(second, "ana"), (first, "ben")])
    window = make_window(sample_store)
    pane = window.panes.library
    wait_for_list(qtbot, window)
    combo = pane.label_filter
    found = combo.findText("Assigned to me")
    assert found >= 0
    combo.setCurrentIndex(found)
    wait_for_list(qtbot, window)
    assert [pane.model.article_id(r) for r in range(pane.model.rowCount())] == [second]
    title = library.get_article(sample_store, second).title
    shown = [pane.model.index(0, c).data() for c in range(pane.model.columnCount())]
    assert title in shown
    screenshot(window, "library_assigned_to_me")


def test_without_a_queue_there_is_no_assigned_filter(make_window, sample_store, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = make_window(sample_store)
    wait_for_list(qtbot, window)
    assert window.panes.library.label_filter.findText("Assigned to me") < 0
