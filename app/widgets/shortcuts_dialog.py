"""Help ▸ Keyboard Shortcuts: every shortcut of the window's actions and the label keys."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.core.ops.labels import list_labels
from app.widgets.entity_link import KEY_ROWS as LINK_KEY_ROWS
from app.widgets.suggestions import KEY_ROWS

FIXED = [
    ("Select text, then a label's key", "Label the selection (snapped to whole words)"),
    ("Click a span, then a label's key", "Change the span's label"),
    ("Delete", "Remove the selected span"),
    *KEY_ROWS,
    *LINK_KEY_ROWS,
]


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    store = getattr(window, "store", None)
    label_keys: set[str] = set()
    if store is not None:
        for label in list_labels(store):
            if label.shortcut:
                rows.append((label.shortcut, f"Label selection {label.name}"))
                label_keys.add(label.shortcut.upper())
    # A label's key wins over a suggestion key (the panel gives it the label): that row is left out.
    rows.extend((keys, what) for what, keys in [(b, a) for a, b in FIXED]
                if (keys, what) not in KEY_ROWS or keys.upper() not in label_keys)
    for action in window.actions():
        seq = action.shortcut()
        if not seq.isEmpty():
            rows.append((seq.toString(QKeySequence.SequenceFormat.NativeText), action.text().replace("&", "")))
    # Keys of one pane only, each saying where it works.
    for action in window.findChildren(QAction):
        scope = action.property("shortcut_scope")
        if scope and not action.shortcut().isEmpty():
            rows.append((action.shortcut().toString(QKeySequence.SequenceFormat.NativeText),
                         f"{action.text().replace('&', '')} ({scope})"))
    for name in ("undo", "redo"):
        named = getattr(window, "actions_by_id", {}).get(name)
        if named is not None:
            rows.append((named.shortcut().toString(QKeySequence.SequenceFormat.NativeText), name.capitalize()))
    return rows


def show_shortcuts(window: QMainWindow) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard Shortcuts")
    rows = shortcut_rows(window)
    table = QTableWidget(len(rows), 2, dialog)
    table.setHorizontalHeaderLabels(["Keys", "Action"])
    for i, (keys, what) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(keys))
        table.setItem(i, 1, QTableWidgetItem(what))
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    table.resizeColumnToContents(0)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(520, 520)
    dialog.show()
    return dialog
