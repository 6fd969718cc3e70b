"""The window from the keyboard: each shortcut bound once, done-and-next from every pane, the library as in a mail client.

Shortcuts are pressed on the top-level window (``QTest.keyClick(window, ...)``), which goes through Qt's
shortcut map as a real key press does. Keys meant for the focused widget (Down, Return, Tab) are sent to the
window's ``QWindow``: that is the way a key from the keyboard arrives, and Qt hands it to the focus widget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMenu, QMenuBar, QWidget

from app.core.db.store import open_store
from app.core.ops import library
from app.core.ops.library import ArticleFilter
from app.core.paths import default_dataset_path
from app.widgets.article_text_view import for_display
from app.widgets.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
Context = Qt.ShortcutContext


@pytest.fixture
def window(make_window, sample_store, qtbot):
    """A window on the sample articles, active (keys go to it) and with its library loaded."""
    made = make_window(sample_store)
    made.activateWindow()
    qtbot.waitActive(made)
    wait_for_list(qtbot, made)
    return made


def type_key(window: QMainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key as the keyboard delivers it: to the window, which hands it to its focus widget."""
    QTest.keyClick(window.windowHandle(), key, modifiers)


def wait_for_list(qtbot, window: MainWindow) -> None:
    model = window.panes.library.model
    qtbot.waitUntil(lambda: not model.is_loading and not window.panes.library._search_timer.isActive())


def assert_shows(window: MainWindow, article_id: int) -> None:
    """The annotation panel is open on this article and draws its title and text."""
    detail = library.get_article(window.store, article_id)
    panel = window.panes.annotation
    QApplication.processEvents()
    assert panel.current_article_id == article_id
    assert window.tabs.currentWidget() is panel and panel.view.isVisible()
    assert panel.title.text() == detail.title
    drawn = panel.view.document().toRawText().replace("\u2029", "\n")  # raw: toPlainText turns no-break spaces
    assert drawn == for_display(detail.text)[0]  # into spaces; the document the view draws holds this text


# -- every shortcut once per context ----------------------------------------------------------------


def _focus_region(anchor: QWidget, context: Qt.ShortcutContext) -> set[int]:
    """Ids of the widgets whose focus makes a shortcut of ``anchor`` with ``context`` fire."""
    while isinstance(anchor, QMenu) and anchor.parentWidget() is not None:
        anchor = anchor.parentWidget()  # a menu's shortcuts work in the window of its menu bar
    if isinstance(anchor, (QMenu, QMenuBar)) or context in (Context.WindowShortcut, Context.ApplicationShortcut):
        top = anchor.window()
        return {id(w) for w in [top, *top.findChildren(QWidget)] if w.window() is top}
    if context == Context.WidgetShortcut:
        return {id(anchor)}
    return {id(w) for w in [anchor, *anchor.findChildren(QWidget)] if w.window() is anchor.window()}


def _bindings(window: QMainWindow) -> Iterator[tuple[str, QObject, set[int]]]:
    """(key sequence, action or shortcut, focus region) of every enabled binding in the window and its dialogs."""
    for action in window.findChildren(QAction):
        if not (action.isEnabled() and action.isVisible()):
            continue
        widgets = [w for w in action.associatedObjects() if isinstance(w, QWidget)]
        for sequence in action.shortcuts():
            for widget in widgets:
                yield sequence.toString(), action, _focus_region(widget, action.shortcutContext())
    for shortcut in window.findChildren(QShortcut):
        if shortcut.isEnabled() and isinstance(shortcut.parent(), QWidget):
            for sequence in shortcut:
                yield sequence.toString(), shortcut, _focus_region(shortcut.parent(), shortcut.context())


def _name(binding: QObject) -> str:
    text = binding.text() if isinstance(binding, QAction) else binding.whatsThis()
    return f"{type(binding).__name__} {text!r} of {binding.parent().__class__.__name__}"


def ambiguous_bindings(window: QMainWindow) -> list[str]:
    by_key: dict[str, list[tuple[QObject, set[int]]]] = defaultdict(list)
    for key, binding, region in _bindings(window):
        by_key[key].append((binding, region))
    found = []
    for key, bound in by_key.items():
        for i, (first, first_region) in enumerate(bound):
            for second, second_region in bound[i + 1 :]:
                if first is not second and first_region & second_region:
                    found.append(f"{key}: {_name(first)} and {_name(second)}")
    return sorted(set(found))


def test_no_two_enabled_shortcuts_share_a_key_where_both_work(window, sample_store, qtbot):
    from app.widgets.export_dialog import ExportDialog
    from app.widgets.settings_dialog import SettingsDialog
    from app.widgets.shortcuts_dialog import show_shortcuts

    ids = library.list_article_ids(sample_store)
    window.open_article(ids[0])
    # Undo and Redo both enabled: two edits, one undone.
    window.gateway.set_status([ids[0]], "in_progress")
    window.gateway.set_status([ids[0]], "done")
    window.gateway.undo_stack.undo()
    window.show_pane("import")
    # The dialogs the window owns, open at the same time, with their own bindings.
    dialogs = [ExportDialog(window.store, window.settings, window),
               SettingsDialog(window.store, window.settings, window.gateway, window)]
    for dialog in dialogs:
        dialog.show()
    dialogs.append(show_shortcuts(window))
    try:
        bindings = list(_bindings(window))
        assert any(key == QKeySequence("Ctrl+Return").toString() for key, _b, _r in bindings)
        assert len({id(b) for _k, b, _r in bindings}) >= 15  # the walk does see the window's bindings
        assert ambiguous_bindings(window) == []
    finally:
        for dialog in dialogs:
            dialog.close()


def test_the_import_box_has_its_own_key_and_the_shortcuts_list_names_it(window, sample_store, qtbot):
    from app.widgets.shortcuts_dialog import shortcut_rows

    pane = window.panes.import_pane
    QTest.keyClick(window, Qt.Key.Key_3, CTRL)
    assert QApplication.focusWidget() is pane.box
    QTest.keyClicks(pane.box, "not a web address")
    type_key(window, Qt.Key.Key_Return, ALT)
    # The import started (and refused the line, in words): the key reached the pane, not the window.
    qtbot.waitUntil(lambda: not pane.is_busy(), timeout=30000)
    assert pane.items_model.rowCount() == 1
    keys = QKeySequence("Alt+Return").toString(QKeySequence.SequenceFormat.NativeText)
    assert keys in pane.import_button.toolTip()
    assert (keys, "Import the Addresses (in the import pane)") in shortcut_rows(window)


# -- Ctrl+Return from every pane ----------------------------------------------------------------------


def _focus_text(window: MainWindow) -> QWidget:
    QTest.keyClick(window, Qt.Key.Key_2, CTRL)
    window.panes.annotation.view.setFocus()
    return window.panes.annotation.view


def _focus_span_list(window: MainWindow) -> QWidget:
    QTest.keyClick(window, Qt.Key.Key_2, CTRL)
    window.panes.annotation.span_list.setFocus()
    return window.panes.annotation.span_list


def _focus_library(window: MainWindow) -> QWidget:
    QTest.keyClick(window, Qt.Key.Key_1, CTRL)
    type_key(window, Qt.Key.Key_Down)  # from the search box into the list
    return window.panes.library.table


def _focus_import_box(window: MainWindow) -> QWidget:
    QTest.keyClick(window, Qt.Key.Key_3, CTRL)
    return window.panes.import_pane.box


def stored_status(window, article_id: int) -> str:
    """The status the dataset holds, once the window's queued edits are stored."""
    window.gateway.wait_until_saved()
    return library.get_article(window.store, article_id).status


@pytest.mark.parametrize("focus", [_focus_text, _focus_span_list, _focus_library, _focus_import_box],
                         ids=["text", "span list", "library", "import box"])
def test_ctrl_return_marks_done_and_opens_the_next_article_whatever_has_focus(window, sample_store, qtbot,
                                                                               focus):
    first, second = library.list_article_ids(sample_store)[:2]
    window.open_article(first)
    before = window.panes.annotation.view.grab().toImage()
    expected_focus = focus(window)
    assert QApplication.focusWidget() is expected_focus

    QTest.keyClick(window, Qt.Key.Key_Return, CTRL)

    assert stored_status(window, first) == "done"
    assert_shows(window, second)
    assert window.panes.annotation.view.grab().toImage() != before  # the next article is drawn, not the last


# -- Ctrl+Shift+Return on a done article ----------------------------------------------------------------


def test_skip_leaves_a_done_article_done_and_moves_on(window, sample_store, qtbot):
    first, second, third = library.list_article_ids(sample_store)[:3]
    window.open_article(first)
    QTest.keyClick(window, Qt.Key.Key_Return, CTRL)  # done, on to the second
    QTest.keyClick(window, Qt.Key.Key_Left, ALT)  # back to the first
    assert_shows(window, first)

    QTest.keyClick(window, Qt.Key.Key_Return, CTRL | SHIFT)

    assert stored_status(window, first) == "done"
    assert_shows(window, second)
    title = library.get_article(window.store, first).title
    message = window.statusBar().currentMessage()
    assert title in message and "stays done" in message
    # An article not yet done is still skipped.
    QTest.keyClick(window, Qt.Key.Key_Return, CTRL | SHIFT)
    assert stored_status(window, second) == "skipped"
    assert_shows(window, third)


# -- where the dataset dialogs start ---------------------------------------------------------------------


@pytest.mark.parametrize("key", [Qt.Key.Key_O, Qt.Key.Key_N], ids=["Open Dataset", "New Dataset"])
def test_dataset_dialogs_start_in_the_datasets_folder(window, sample_store, qtbot, key):
    open_store(default_dataset_path()).close()  # the default dataset, as the first start makes it
    seen: list[str] = []

    def close_the_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, close_the_dialog)
            return
        seen.append(dialog.directory().absolutePath())
        dialog.reject()

    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    try:
        QTimer.singleShot(0, close_the_dialog)
        QTest.keyClick(window, key, CTRL)  # File ▸ Open Dataset (New Dataset): the dialog runs until closed
    finally:
        QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, False)
    assert seen == [str(default_dataset_path().parent)]  # beside the default and sample datasets
    assert window.store is sample_store  # closing the dialog changed nothing


# -- the library from the keyboard ----------------------------------------------------------------------


def focus_after(window: QMainWindow, key: Qt.Key) -> QWidget | None:
    type_key(window, key)
    return QApplication.focusWidget()


def test_library_search_then_down_then_return_opens_the_article(window, sample_store, qtbot):
    lib = window.panes.library

    QTest.keyClick(window, Qt.Key.Key_1, CTRL)
    assert QApplication.focusWidget() is lib.search
    assert focus_after(window, Qt.Key.Key_Down) is lib.table
    ids = lib.model.article_ids()
    assert lib.current_id() == ids[0] and lib.selected_ids() == [ids[0]]
    type_key(window, Qt.Key.Key_Down)
    assert lib.selected_ids() == [ids[1]]
    type_key(window, Qt.Key.Key_Return)
    assert_shows(window, ids[1])


def test_library_tab_order_reaches_the_list_before_the_filters(window, sample_store, qtbot):
    lib = window.panes.library
    QTest.keyClick(window, Qt.Key.Key_1, CTRL)
    assert QApplication.focusWidget() is lib.search
    assert focus_after(window, Qt.Key.Key_Tab) is lib.table
    assert focus_after(window, Qt.Key.Key_Down) is lib.table  # moves in the list; the filters stay as they were
    assert focus_after(window, Qt.Key.Key_Tab) is lib.status_filter  # leaves the list, not for its next cell
    assert focus_after(window, Qt.Key.Key_Tab) is lib.label_filter
    assert lib.current_filter() == ArticleFilter()


@pytest.mark.parametrize(("key", "end"), [(Qt.Key.Key_Right, 0), (Qt.Key.Key_Left, -1)],
                         ids=["Alt+Right opens the first", "Alt+Left opens the last"])
def test_next_and_previous_with_no_article_open_start_at_an_end_of_the_list(window, sample_store, qtbot,
                                                                           key, end):
    lib = window.panes.library
    query = "said"
    shown = library.list_article_ids(sample_store, ArticleFilter(query=query))
    assert 2 <= len(shown) < library.count_articles(sample_store)  # the search narrows the list
    QTest.keyClick(window, Qt.Key.Key_F, CTRL)
    QTest.keyClicks(lib.search, query)
    wait_for_list(qtbot, window)
    assert lib.model.article_ids() == shown
    assert window.panes.annotation.current_article_id is None

    QTest.keyClick(window, key, ALT)

    assert_shows(window, shown[end])
    assert window.statusBar().currentMessage() == ""
