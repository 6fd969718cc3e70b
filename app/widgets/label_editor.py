"""Edit a dataset's labels: name, kind, colour, key and description.

Each change is saved at once through ``app.core.ops.labels``, which refuses what
would break the dataset (a key another label uses, a duplicate name, deleting a
label that spans use) with an ``InvalidInput`` whose message is shown as is.
Spans refer to labels by id, so a renamed label is renamed on every span.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPalette, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.core.ops import labels as core
from app.core.ops.labels import LABEL_KINDS, LabelInfo
from app.widgets.edits import EditGateway
from app.widgets.icons import icon
from app.widgets.palette import NEW_LABEL_COLORS, label_icon, text_on

KIND_TEXT = {"entity": "Entity", "claim": "Claim"}
_KEY = QRegularExpression(r"^\S?$")  # one key, no space: the annotation view binds it to the label


def _kind_combo() -> QComboBox:
    combo = QComboBox()
    for kind in LABEL_KINDS:
        combo.addItem(icon(f"label.{kind}"), KIND_TEXT.get(kind, kind), kind)
    return combo


class _FieldEdit(QLineEdit):
    """A line edit that keeps Return to itself.

    QLineEdit passes Return on, so inside a dialog it would also press the
    dialog's default button: confirming a key would close the settings.
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


def _key_edit() -> QLineEdit:
    edit = _FieldEdit()
    edit.setMaxLength(1)
    edit.setValidator(QRegularExpressionValidator(_KEY, edit))
    edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
    edit.setPlaceholderText("none")
    return edit


class LabelEditor(QWidget):
    """Each change is stored at once through the gateway, which announces it on ``changes_applied``."""

    COLUMNS = ("Name", "Kind", "Colour", "Key", "Description")
    NAME, KIND, COLOR, KEY, DESCRIPTION = range(5)

    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.gateway = gateway
        self._labels: list[LabelInfo] = []
        self._loading = False

        self._build_table()
        form = self._build_form()
        note = self._build_note()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(note)
        self.reload()

    def _build_table(self) -> None:
        """One row per label; names and descriptions are edited in place."""
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setWordWrap(False)  # one line per label; the tooltip holds a long description
        header = self.table.horizontalHeader()
        for col in (self.NAME, self.KIND, self.COLOR):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.KEY, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(self.KEY, self.fontMetrics().horizontalAdvance("Key") + 40)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 16)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)

    def _build_form(self) -> QHBoxLayout:
        """The new label's name, kind and key with Add, then Rename and Delete for the selected one."""
        self.new_name = _FieldEdit()
        self.new_name.setPlaceholderText("New label name")
        self.new_name.returnPressed.connect(self.add_from_form)
        self.new_kind = _kind_combo()
        self.new_key = _key_edit()
        self.new_key.setFixedWidth(self.fontMetrics().horizontalAdvance("none") + 24)
        self.add_button = QPushButton(icon("label.entity"), "Add")
        self.add_button.clicked.connect(self.add_from_form)
        self.rename_button = QPushButton("Rename")
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button = QPushButton(icon("delete"), "Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        for button in (self.add_button, self.rename_button, self.delete_button):
            button.setAutoDefault(False)  # Return in the dialog means OK, not the last button clicked

        form = QHBoxLayout()
        form.addWidget(self.new_name, 1)
        form.addWidget(self.new_kind)
        form.addWidget(QLabel("Key:"))
        form.addWidget(self.new_key)
        form.addWidget(self.add_button)
        form.addSpacing(24)
        form.addWidget(self.rename_button)
        form.addWidget(self.delete_button)
        return form

    def _build_note(self) -> QLabel:
        note = QLabel("Changes are saved at once. Spans follow their label, so renaming a label renames it "
                      "on every span. Double-click a name or description to edit it.")
        note.setWordWrap(True)
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return note

    # -- table -----------------------------------------------------------------------
    def labels(self) -> list[LabelInfo]:
        return list(self._labels)

    def row_of(self, name: str) -> int:
        return next((i for i, lb in enumerate(self._labels) if lb.name == name), -1)

    def reload(self) -> None:
        self._loading = True
        try:
            self._labels = core.list_labels(self.store)
            self.table.setRowCount(0)
            self.table.setRowCount(len(self._labels))
            for row, lb in enumerate(self._labels):
                self._fill_row(row, lb)
        finally:
            self._loading = False
        self._update_buttons()

    def _fill_row(self, row: int, lb: LabelInfo) -> None:
        name = QTableWidgetItem(label_icon(lb.name, lb.kind, lb.color), lb.name)
        name.setToolTip("Double-click to rename")
        self.table.setItem(row, self.NAME, name)
        description = QTableWidgetItem(lb.description)
        description.setToolTip(lb.description)
        self.table.setItem(row, self.DESCRIPTION, description)
        # Cells holding widgets take no text; an empty, non-editable item keeps selection drawing right.
        for col in (self.KIND, self.COLOR, self.KEY):
            item = QTableWidgetItem()
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, col, item)

        kind = _kind_combo()
        kind.setCurrentIndex(max(0, kind.findData(lb.kind)))
        kind.currentIndexChanged.connect(lambda _i, c=kind, i=lb.id: self._kind_changed(i, c))
        self.table.setCellWidget(row, self.KIND, kind)

        swatch = QToolButton()
        swatch.setToolTip(f"Choose the colour of {lb.name}")
        swatch.setAccessibleName(f"Colour of {lb.name}")
        swatch.clicked.connect(lambda _c=False, i=lb.id: self.choose_color(i))
        self._paint_swatch(swatch, lb.color)
        self.table.setCellWidget(row, self.COLOR, swatch)

        key = _key_edit()
        key.setText(lb.shortcut or "")
        key.setToolTip(f"The key that applies {lb.name} to the selected text")
        key.editingFinished.connect(lambda e=key, i=lb.id: self._key_changed(i, e))
        self.table.setCellWidget(row, self.KEY, key)

    @staticmethod
    def _paint_swatch(button: QToolButton, color: str) -> None:
        button.setText(color)
        text = text_on(QColor(color)).name()  # readable on the swatch
        button.setStyleSheet(f"QToolButton {{ background: {color}; color: {text}; border: 1px solid palette(mid);"
                             " border-radius: 3px; padding: 2px 8px; font-family: monospace; }")

    def key_edit(self, name: str) -> QLineEdit:
        return self.table.cellWidget(self.row_of(name), self.KEY)  # type: ignore[return-value]

    def kind_combo(self, name: str) -> QComboBox:
        return self.table.cellWidget(self.row_of(name), self.KIND)  # type: ignore[return-value]

    # -- changes ---------------------------------------------------------------------
    def _apply(self, label_id: int, title: str, **fields: Any) -> LabelInfo | None:
        """Change one label through the gateway; on refusal show its message and return None."""
        try:
            self.gateway.run(lambda store: core.update_label(store, label_id, **fields), self)
        except InvalidInput as exc:
            QMessageBox.warning(self, title, str(exc))
            return None
        info = next(lb for lb in core.list_labels(self.store) if lb.id == label_id)
        row = next(i for i, lb in enumerate(self._labels) if lb.id == info.id)
        self._labels[row] = info
        return info

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading or item.column() not in (self.NAME, self.DESCRIPTION):
            return
        row = item.row()
        old = self._labels[row]
        if item.column() == self.NAME:
            new_name = item.text().strip()
            if new_name == old.name:
                return
            info = self._apply(old.id, "Label not renamed", name=new_name)
            self._set_item_text(item, info.name if info else old.name)
            if info:
                item.setIcon(label_icon(info.name, info.kind, info.color))
        else:
            if item.text() == old.description:
                return
            info = self._apply(old.id, "Description not changed", description=item.text())
            if info is None:
                self._set_item_text(item, old.description)

    def _set_item_text(self, item: QTableWidgetItem, value: str) -> None:
        self._loading = True
        try:
            item.setText(value)
        finally:
            self._loading = False

    def _label(self, label_id: int) -> LabelInfo:
        return next(lb for lb in self._labels if lb.id == label_id)

    def _key_changed(self, label_id: int, edit: QLineEdit) -> None:
        old = self._label(label_id)
        key = edit.text().strip()
        if key == (old.shortcut or ""):
            return
        # Put the stored key back before the message box takes focus: losing focus finishes
        # the edit again, and by then there must be nothing left to apply.
        edit.setText(old.shortcut or "")
        if key:
            info = self._apply(label_id, "Key not changed", shortcut=key)
        else:
            info = self._apply(label_id, "Key not changed", clear_shortcut=True)
        if info is not None:
            edit.setText(info.shortcut or "")

    def _kind_changed(self, label_id: int, combo: QComboBox) -> None:
        old = self._label(label_id)
        info = self._apply(label_id, "Kind not changed", kind=combo.currentData())
        if info is None:
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(old.kind)))
            combo.blockSignals(False)
            return
        self._refresh_icon(info)

    def choose_color(self, label_id: int) -> None:
        old = self._label(label_id)
        color = QColorDialog.getColor(QColor(old.color), self, f"Colour of {old.name}")
        if not color.isValid() or color.name() == old.color.lower():
            return
        info = self._apply(label_id, "Colour not changed", color=color.name())
        if info is not None:
            row = self._labels.index(info)
            self._paint_swatch(self.table.cellWidget(row, self.COLOR), info.color)  # type: ignore[arg-type]
            self._refresh_icon(info)

    def _refresh_icon(self, info: LabelInfo) -> None:
        item = self.table.item(self._labels.index(info), self.NAME)
        if item is not None:
            item.setIcon(label_icon(info.name, info.kind, info.color))

    def add_from_form(self) -> LabelInfo | None:
        name = self.new_name.text().strip()
        if not name:
            QMessageBox.warning(self, "Label not added", "Type a name for the new label first.")
            return None
        used = {lb.color.lower() for lb in self._labels}
        color = next((c for c in NEW_LABEL_COLORS if c not in used), "#888888")
        kind, key = self.new_kind.currentData(), self.new_key.text().strip() or None
        try:
            changes = self.gateway.run(lambda store: core.add_label(store, name, kind=kind, color=color, shortcut=key),
                                       self)
        except InvalidInput as exc:
            QMessageBox.warning(self, "Label not added", str(exc))
            return None
        self.new_name.clear()
        self.new_key.clear()
        self.reload()
        [added] = changes.labels
        self.table.selectRow(self.row_of(added))
        return self._labels[self.row_of(added)]

    def selected_label(self) -> LabelInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self._labels[rows[0].row()] if rows else None

    def rename_selected(self) -> None:
        label = self.selected_label()
        if label is not None and (item := self.table.item(self._labels.index(label), self.NAME)) is not None:
            self.table.editItem(item)

    def delete_selected(self) -> None:
        label = self.selected_label()
        if label is None:
            return
        if QMessageBox.question(self, "Delete label", f"Delete the label {label.name}?") \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            self.gateway.run(lambda store: core.delete_label(store, label.id), self)
        except InvalidInput as exc:
            QMessageBox.warning(self, "Label not deleted", str(exc))
            return
        self.reload()

    def _update_buttons(self) -> None:
        selected = self.selected_label() is not None
        self.rename_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)
