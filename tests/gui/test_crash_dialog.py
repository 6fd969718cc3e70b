"""An unexpected error: logged with its traceback, one dialog with a copyable report, the app keeps working.

These tests raise real exceptions in real slots and threads, so pytest-qt's own
capture of exceptions is off for them: the app's handler is the one under test.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QToolBar

from app.core.ops import library
from app.core.paths import log_dir
from app.core.settings import Settings
from app.widgets.app import setup_logging
from app.widgets.crash_dialog import MAX_REPORTS_SHOWN, CrashDialog, ErrorReporter

pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def app_log(isolated_home: Path) -> Iterator[Path]:
    """The app's own rotating log file, as run_gui sets it up; the test runner's logging restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging()
    yield log_dir() / "article-curator.log"
    for handler in root.handlers:
        if handler not in saved[0]:
            handler.close()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@pytest.fixture
def window(qtbot, sample_store, monkeypatch):
    from app.widgets.main_window import MainWindow

    def broken_export(self: MainWindow) -> None:
        raise RuntimeError("export exploded while opening its dialog")

    monkeypatch.setattr(MainWindow, "export", broken_export)
    win = MainWindow(sample_store, Settings(annotator="ana"))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture
def reporter(qapp, window) -> Iterator[ErrorReporter]:
    hooks = (sys.excepthook, threading.excepthook)
    made = ErrorReporter(lambda: str(window.store.path), lambda: window)
    made.install()
    yield made
    made.uninstall()
    assert (sys.excepthook, threading.excepthook) == hooks
    if made.dialog is not None:
        made.dialog.close()
    QApplication.processEvents()


def boom() -> None:
    raise ValueError("the widget lost its article")


def shown_dialog(qtbot, reporter: ErrorReporter) -> CrashDialog:
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=5000)
    assert reporter.dialog is not None
    return reporter.dialog


@pytest.mark.slow
def test_an_error_in_a_button_handler(qtbot, window, reporter, app_log, sample_store, screenshot):
    toolbar = window.findChild(QToolBar, "main_toolbar")
    button = toolbar.widgetForAction(window.actions_by_id["export"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    dialog = shown_dialog(qtbot, reporter)
    assert dialog.heading.text() == "Something went wrong"
    assert "Your work is safe: every edit is saved the moment you make it" in dialog.explanation.text()
    report = dialog.report_view.toPlainText()
    assert report.startswith("Article Curator ")
    for needle in ("Python ", "PySide6 ", "Qt ", "System: ", f"Dataset: {sample_store.path}",
                   f"Log folder: {log_dir()}", "Traceback (most recent call last)", "in broken_export",
                   "RuntimeError: export exploded while opening its dialog"):
        assert needle in report
    assert str(log_dir()) in dialog.log_label.text()
    assert dialog.report_view.isReadOnly()
    assert not dialog.isModal()  # the window behind it stays usable
    qtbot.waitUntil(lambda: not dialog.report_view.verticalScrollBar().isVisible())  # laid out: it all fits
    screenshot(dialog, "crash_dialog")

    # Copy Report puts the whole report on the clipboard.
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == dialog.report()
    assert "RuntimeError: export exploded" in QApplication.clipboard().text()
    assert dialog.copied_label.text() == "Report copied to the clipboard."

    # The log has the traceback.
    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = app_log.read_text(encoding="utf-8")
    assert "ERROR app.widgets.crash_dialog: Unexpected error" in logged
    assert "Traceback (most recent call last)" in logged and "RuntimeError: export exploded" in logged

    # The app carries on: the window answers, and an edit is saved as before.
    tab_bar = window.tabs.tabBar()
    qtbot.mouseClick(tab_bar, Qt.MouseButton.LeftButton, pos=tab_bar.tabRect(1).center())
    assert window.tabs.currentIndex() == 1
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    article_id = library.list_articles(sample_store)[0].id
    window.open_article(article_id)
    window.mark_done_and_next()
    assert window.gateway.wait_until_saved(10)
    assert library.get_article(sample_store, article_id).status == "done"
    assert library.count_articles(sample_store) == 3

    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)  # before the "copied" note goes
    qtbot.waitUntil(lambda: reporter.dialog is None)
    qtbot.wait(4200)  # its timer went with the dialog: no error about a deleted label
    assert reporter.dialog is None
    # A later error opens a new dialog.
    QTimer.singleShot(0, boom)
    assert "the widget lost its article" in shown_dialog(qtbot, reporter).report()


def test_a_burst_of_errors_fills_one_dialog(qtbot, reporter):
    for _ in range(5):
        QTimer.singleShot(0, boom)
    dialog = shown_dialog(qtbot, reporter)
    qtbot.waitUntil(lambda: dialog.error_count == 5)
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]
    assert dialogs == [dialog]
    assert dialog.heading.text() == "Something went wrong (5 errors)"
    assert dialog.report().count("ValueError: the widget lost its article") == 5

    for _ in range(MAX_REPORTS_SHOWN + 3):
        QTimer.singleShot(0, boom)
    qtbot.waitUntil(lambda: dialog.error_count == MAX_REPORTS_SHOWN + 8)
    report = dialog.report()
    assert report.count("ValueError: the widget lost its article") == MAX_REPORTS_SHOWN
    assert report.rstrip().endswith("... and 8 more errors like these (see the log).")


def test_an_error_in_a_worker_thread_reaches_the_gui_thread(qtbot, qapp, reporter):
    worker = threading.Thread(target=boom, name="importer-helper")
    worker.start()
    worker.join()
    dialog = shown_dialog(qtbot, reporter)
    assert dialog.thread() is qapp.thread()
    assert "ValueError: the widget lost its article" in dialog.report()


def test_keyboard_interrupt_is_not_a_crash_report(qtbot, reporter, capsys):
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        reporter.handle_exception(*sys.exc_info())
    QApplication.processEvents()
    assert reporter.dialog is None
    assert "KeyboardInterrupt" in capsys.readouterr().err


def test_a_known_cause_is_said_in_words(qtbot, window):
    import sqlite3

    def explain(exc: BaseException) -> str | None:
        return "Reading the dataset failed: the dataset file is damaged." if isinstance(exc, sqlite3.Error) else None

    def unreadable() -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    made = ErrorReporter(lambda: str(window.store.path), lambda: window, explain)
    made.install()
    try:
        QTimer.singleShot(0, boom)
        QTimer.singleShot(0, unreadable)
        dialog = shown_dialog(qtbot, made)
        qtbot.waitUntil(lambda: dialog.error_count == 2)
        assert dialog.cause.isVisible()
        assert dialog.cause.text() == "Reading the dataset failed: the dataset file is damaged."
        assert "sqlite3.DatabaseError: database disk image is malformed" in dialog.report()
    finally:
        made.uninstall()
        if made.dialog is not None:
            made.dialog.close()
