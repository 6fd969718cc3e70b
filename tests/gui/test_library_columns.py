"""The library's columns in the real window: a new label keeps the Title readable; span counts sort in SQL."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.core.db.store import Store
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.ops.labels import list_labels
from app.core.validation import NewArticle
from app.widgets.settings_dialog import SettingsDialog

ORG_COUNTS = [2, 0, 5, 1, 2, 0, 4]
WORDS = ["Meta", "Mistral", "Google", "OpenAI", "DeepSeek"]


@pytest.fixture
def counted_store(store: Store) -> Store:
    text = " and ".join(WORDS) + " said so on Monday."
    outcomes = store_articles(store, [
        NewArticle(text=f"{i}: {text}", title=f"A fairly long headline about the companies, number {i}")
        for i in range(len(ORG_COUNTS))
    ])
    for outcome, n in zip(outcomes, ORG_COUNTS, strict=True):
        body = f"{outcome.article_id - 1}: {text}"
        span_edits.add_spans(store, outcome.article_id, [(body.index(w), body.index(w) + len(w)) for w in WORDS[:n]],
                              "ORG", annotator="ann")
    return store


def add_label_in_settings(qtbot, window, name: str, key: str) -> None:
    """Edit ▸ Settings, the Labels tab, type a name and a key, Add, close: as a person does."""
    done: list[bool] = []

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        dialog.tabs.setCurrentIndex(SettingsDialog.LABELS)
        editor = dialog.label_editor
        QTest.keyClicks(editor.new_name, name)
        QTest.keyClicks(editor.new_key, key)
        QTest.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
        dialog.reject()  # labels are saved as they are added
        done.append(True)

    QTimer.singleShot(0, fill)
    window.actions_by_id["settings"].trigger()
    assert done and name in [lb.name for lb in list_labels(window.store)]


def shown_ids(library) -> list[int]:
    return library.model.article_ids()


def click_header(qtbot, library, column: int) -> None:
    header = library.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, header.height() // 2))
    qtbot.waitUntil(lambda: not library.model.is_loading)


def test_a_new_label_keeps_the_title_column_readable(qtbot, make_window, counted_store, screenshot) -> None:
    window = make_window(counted_store)
    window.show_pane("library")
    library = window.panes.library
    table = library.table
    qtbot.waitUntil(lambda: library.model.rowCount() == len(ORG_COUNTS))
    # Laid out: the Title takes the width the other columns leave, and nothing scrolls sideways.
    qtbot.waitUntil(lambda: table.horizontalHeader().length() == table.viewport().width()
                    and not table.horizontalScrollBar().isVisible())
    title_before = table.columnWidth(0)
    assert title_before > table.fontMetrics().horizontalAdvance("A fairly long headline")

    add_label_in_settings(qtbot, window, "LOCATION", "4")
    qtbot.waitUntil(lambda: "LOCATION" in [c.header for c in library.model.columns])
    qtbot.wait(200)  # the scroll bars follow the header's new length in a later event
    assert table.columnWidth(0) >= title_before
    assert not table.horizontalScrollBar().isVisible()
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width()
    counts = [c for c, spec in enumerate(library.model.columns) if spec.key == "label"]
    narrowest = table.fontMetrics().horizontalAdvance("0,000")
    assert len(counts) == 4 and all(table.columnWidth(c) >= narrowest for c in counts)
    screenshot(window, "library_after_adding_a_label")


def test_span_count_columns_sort_both_ways_in_sql(qtbot, make_window, counted_store) -> None:
    window = make_window(counted_store)
    window.show_pane("library")
    library = window.panes.library
    qtbot.waitUntil(lambda: library.model.rowCount() == len(ORG_COUNTS))
    org = next(c for c, spec in enumerate(library.model.columns) if spec.header == "ORG")
    header = library.table.horizontalHeader()
    ids = list(range(1, len(ORG_COUNTS) + 1))

    click_header(qtbot, library, org)  # first click: most spans first (ties: the later article first)
    most_first = [art_id for _n, art_id in sorted(zip(ORG_COUNTS, ids, strict=True), reverse=True)]
    assert shown_ids(library) == most_first
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (org, Qt.SortOrder.DescendingOrder)
    assert library.model.sort_key == ("label:ORG", True)
    assert [library.model.index(r, org).data() for r in range(3)] == ["5", "4", "2"]

    click_header(qtbot, library, org)
    assert shown_ids(library) == most_first[::-1]
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (org, Qt.SortOrder.AscendingOrder)

    # The order follows edits once the list is asked again (here: labelling article 2 five times over).
    span_edits.add_spans(counted_store, 2, [(0, 1), (3, 7), (12, 19), (24, 30), (35, 41)], "ORG", annotator="ann")
    library.refresh()
    qtbot.waitUntil(lambda: not library.model.is_loading)
    assert shown_ids(library)[-2:] in ([3, 2], [2, 3])
