"""View ▸ Agreement in the real window: opened by its shortcut, the matrix as painted, the measure and label
choosers, the lowest-agreement list opening articles, and figures that follow a Mark Done."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.core.settings import Settings
from app.core.team.agreement import MEASURES
from tests.unit.test_agreement import A1, A2, SPANS, _add

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "agreement.png"


@pytest.fixture
def team_store(store):
    ids = _add(store, SPANS)
    return store, ids


def _open_agreement(qtbot, window):
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.agreement is not None and not window.agreement.is_loading, timeout=10000)
    qtbot.wait(50)
    return window.agreement


def _cell_colour(view, row: int, column: int):
    matrix = view.matrix
    rect = matrix.visualItemRect(matrix.item(row, column))
    picture = matrix.viewport().grab().toImage()
    # Left of the text, inside the cell: the background as painted.
    return picture.pixelColor(rect.left() + 6, rect.center().y())


def test_the_matrix_shows_each_pair_coloured_by_its_agreement(qtbot, make_window, team_store):
    store, _ids = team_store
    window = make_window(store, Settings(annotator="ana"))
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.actions_by_id["show_agreement"] in view_menu.actions()
    view = _open_agreement(qtbot, window)
    assert window.tabs.currentWidget() is view
    matrix = view.matrix
    assert [matrix.horizontalHeaderItem(c).text() for c in range(3)] == ["ana", "ben", "cho"]
    # Strict F1: ana – ben 4/9 on 2 shared articles, ana – cho 2/3 on 1 (tests/unit/test_agreement.py).
    assert matrix.item(0, 1).text() == "0.44\n2 shared" and matrix.item(1, 0).text() == "0.44\n2 shared"
    assert matrix.item(0, 2).text() == "0.67\n1 shared"
    assert matrix.item(0, 0).text() == "2 done"
    low, high = _cell_colour(view, 0, 1), _cell_colour(view, 0, 2)
    assert low != high and low.red() > high.red() and low.blue() < high.blue()  # redder is lower
    assert "0.59" in view.alpha.text()  # Krippendorff's alpha over all labels, 1 - 472/1152

    view.measure.setFocus()
    QTest.keyClick(view.measure, Qt.Key.Key_Down)  # Relaxed F1
    assert view.measure.currentText() == MEASURES["relaxed_f1"]
    assert matrix.item(0, 1).text() == "0.89\n2 shared"
    QTest.keyClick(view.measure, Qt.Key.Key_Down)  # Cohen's kappa
    assert matrix.item(0, 1).text() == f"{132 / 204:.2f}\n2 shared"
    view.label.setFocus()
    QTest.keyClick(view.label, Qt.Key.Key_Down)  # PERSON
    assert view.label.currentText() == "PERSON"
    # PERSON's kappa, 0.625: computed as 40/64 in floating point it may round either way.
    assert matrix.item(0, 1).text() in ("0.62\n2 shared", "0.63\n2 shared")
    assert view.lowest.rowCount() == 2


def test_a_low_agreement_article_opens_in_the_annotation_panel(qtbot, make_window, team_store):
    store, ids = team_store
    window = make_window(store, Settings(annotator="cho"))
    view = _open_agreement(qtbot, window)
    lowest = view.lowest
    assert [lowest.item(r, 1).text() for r in range(lowest.rowCount())] == [A2.rstrip("."), A1.rstrip(".")]
    assert lowest.item(0, 0).text() == "0.40"
    rect = lowest.visualRect(lowest.model().index(0, 1))
    # A double-click is a press and release, then a second press that is the double-click.
    QTest.mouseClick(lowest.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.mouseDClick(lowest.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    qtbot.waitUntil(lambda: window.panes.annotation.current_article_id == ids[A2], timeout=5000)
    assert window.tabs.currentWidget() is window.panes.annotation

    # cho finishes A2 too (Mark Done and Next): back in the view, the pairs with cho share two articles.
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    window.gateway.wait_until_saved()
    view = _open_agreement(qtbot, window)
    qtbot.waitUntil(lambda: view.matrix.item(0, 2).text().endswith("2 shared"), timeout=10000)

    lowest = view.lowest
    lowest.setFocus()
    lowest.selectRow(1)
    opened = lowest.item(1, 1).data(Qt.ItemDataRole.UserRole)
    QTest.keyClick(lowest, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.panes.annotation.current_article_id == opened, timeout=5000)


def test_screenshot_of_the_agreement_view(qtbot, make_window, team_store):
    store, _ids = team_store
    window = make_window(store, Settings(annotator="ana"))
    window.resize(1100, 720)
    view = _open_agreement(qtbot, window)
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(DOCS_SCREENSHOT))  # the view alone: the same picture on every run
