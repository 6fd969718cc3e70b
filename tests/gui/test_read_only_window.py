"""The window on a dataset on read-only media: reading, searching and exporting work, editing is off,
the reason is shown once, and not a byte of the dataset changes.

The dataset's folder is mounted read-only (tests/read_only_mount.py) around a
pytest run of ``test_inside_a_read_only_mount`` alone, in its own process; in
an ordinary run that test is skipped and the outer one starts it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMenu, QMessageBox

from app.core.db.store import open_store
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.validation import NewArticle
from tests.read_only_mount import ROOT, run_with_read_only_folder

FOLDER_ENV = "ARTICLE_CURATOR_TEST_READ_ONLY_FOLDER"
REASON = "Read-only: copy the dataset to edit it"


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_the_window_on_a_read_only_dataset(tmp_path: Path) -> None:
    if os.environ.get(FOLDER_ENV):
        pytest.skip("this is the run inside the read-only mount")
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    with open_store(folder / "ds.sqlite") as store:
        [first, *_] = store_articles(store, [
            NewArticle(text="Solvane Robotics named Priya Raman chief executive on Monday, the company said.",
                       title="Solvane names CEO", source_kind="paste"),
            NewArticle(text="Mayor Elena Vasquez said Harbor City Council approved the library.",
                       title="Harbor City library", source_kind="paste"),
        ])
        span_edits.add_span(store, first.article_id, 0, len("Solvane Robotics"), "ORG", annotator="ana")
    result = run_with_read_only_folder(
        folder, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 f"{Path(__file__).relative_to(ROOT)}::test_inside_a_read_only_mount"],
        env={FOLDER_ENV: str(folder), "QT_QPA_PLATFORM": "offscreen"}, timeout=600)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-4000:] + result.stderr[-2000:]


def painted_colours(label: QLabel) -> int:
    image = label.grab().toImage()
    return len({image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(image.height())})


def background_at(view, index: int) -> bool:
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(index) + 1)
    return cursor.charFormat().hasProperty(cursor.charFormat().Property.BackgroundBrush)


def test_inside_a_read_only_mount(make_window, qtbot, tmp_path, monkeypatch, screenshot) -> None:
    folder = os.environ.get(FOLDER_ENV)
    if not folder:
        pytest.skip("runs inside a read-only mount, started by test_the_window_on_a_read_only_dataset")
    folder_path = Path(folder)
    before = snapshot(folder_path)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a[2]) or
                                                                QMessageBox.StandardButton.Yes))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: asked.append("files") or
                                                                      ([str(tmp_path / "x.txt")], "")))
    store = open_store(folder_path / "ds.sqlite")
    assert store.read_only
    window = make_window(store)

    # The reason, once, in the status bar, painted.
    reasons = [w for w in window.findChildren(QLabel) if w.isVisible() and "read-only" in w.text().lower()]
    assert [w.text() for w in reasons] == [REASON]
    assert painted_colours(reasons[0]) > 1
    assert window.windowTitle().endswith("(read-only)")

    # Label keys and Delete on a span do nothing.
    solvane = next(r.id for r in library.list_articles(store) if r.title == "Solvane names CEO")
    window.open_article(solvane)
    panel = window.panes.annotation
    view = panel.view
    view.setFocus()
    text = panel.article().text
    start = text.index("Priya Raman")
    view.select_range(start, start + len("Priya Raman"))
    qtbot.keyClick(view, Qt.Key.Key_1)
    QApplication.processEvents()
    assert not background_at(view, start)  # no tint painted
    [span] = panel.article().spans
    panel.select_span(span.id)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    QApplication.processEvents()
    assert background_at(view, 0)  # the ORG span is still drawn
    assert [(s.label, s.text) for s in library.get_article(store, solvane).spans] == [("ORG", "Solvane Robotics")]
    assert not panel.label_bar.isEnabled() and not panel.claim_details.isEnabled()
    # Refused before anything was queued: no step in the history, nothing waiting for the writer.
    assert window.gateway.undo_stack.count() == 0 and not window.gateway.unsaved_article_ids()

    # Done-and-next, import and deleting from the library do nothing either.
    status = library.get_article(store, solvane).status
    QTest.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert library.get_article(store, solvane).status == status
    assert panel.current_article_id == solvane  # and it did not move on
    assert window.gateway.undo_stack.count() == 0 and window.gateway.failed_writes == 0
    QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # to the library
    table = window.panes.library.table
    window.panes.library.select_article(solvane)
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Delete)
    assert asked == []
    assert not window.panes.import_pane.isEnabled()
    assert library.count_articles(store) == 2

    # Searching works.
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.panes.library.search.hasFocus()  # the window's shortcuts do work
    QTest.keyClicks(window.panes.library.search, "Harbor")
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=5000)
    screenshot(window, "main_window_read_only")

    # Exporting works, through the dialog Ctrl+E opens.
    out = tmp_path / "export.jsonl"
    exported: list[object] = []

    def export_in_dialog() -> None:
        from app.widgets.export_dialog import ExportDialog

        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(10, export_in_dialog)  # not open yet
            return
        dialog.path_edit.setText(str(out))
        with qtbot.waitSignal(dialog.export_finished, timeout=30_000) as blocker:
            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        exported.append(blocker.args[0])
        dialog.close()

    QTimer.singleShot(0, export_in_dialog)
    QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert exported and exported[0].articles == 2
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(line["title"] for line in lines) == ["Harbor City library", "Solvane names CEO"]

    # The text's context menu (a right click on the selected name): copying stays, labelling is greyed out.
    window.open_article(solvane)
    view.select_range(start, start + len("Priya Raman"))
    entries: dict[str, bool] = {}

    def read_menu() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        entries.update({a.text().split("\t")[0]: a.isEnabled() for a in menu.actions() if not a.isSeparator()})
        menu.close()

    QTimer.singleShot(0, read_menu)
    where = view.cursorRect().center()
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where,
                                                              view.viewport().mapToGlobal(where)))
    standard = {"&Copy", "Select All"}
    assert {text for text, enabled in entries.items() if enabled} == standard
    assert "Label as" in entries and any(text.startswith("Label all occurrences") for text in entries)

    window.close()
    store.close()
    assert snapshot(folder_path) == before  # not a byte written, no file added
