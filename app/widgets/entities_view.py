"""View ▸ Entities: the registry as a dock — every entity with its counts, one entity's details and mentions.

On the left a search box (name or alias), a kind filter and the paged table of
entities (``EntityTableModel``); on the right the chosen entity: its aliases,
external id and note, and its mentions as keyword-in-context lines, a page at a
time. Activating a mention opens its article in the annotation panel with the
span selected and scrolled into view. Rename, aliases, details, merge, split
and delete are undoable commands of the window's edit gateway
(``EntityCommands``); the view reads the registry again when the gateway says
it changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import Changes
from app.core.db.store import Store
from app.core.entities import queries, registry
from app.core.entities.queries import Mention
from app.core.errors import InvalidInput
from app.core.ops.labels import list_labels
from app.widgets.edits import EditGateway
from app.widgets.entity_commands import EntityCommands
from app.widgets.entity_table_model import EntityIdRole, EntityTableModel
from app.widgets.panel_header import muted_label, plain_label

SHORTCUT = "Ctrl+Shift+E"
MENTIONS_PAGE = 200
CONTEXT_SHOWN = 45  # characters of context on each side of a mention in its line
SEARCH_DELAY_MS = 150
_SPACE = re.compile(r"\s+")
_BREAK = re.compile(r"\s*\n\s*")


def _context(left: str, right: str) -> tuple[str, str]:
    """The context of a mention on one line, cut near the mention."""
    # One line: a paragraph break shows as ¶; the space beside the mention stays.
    left, right = (_SPACE.sub(" ", _BREAK.sub(" ¶ ", side)) for side in (left, right))
    if len(left) > CONTEXT_SHOWN:
        left = "…" + left[-CONTEXT_SHOWN:]
    if len(right) > CONTEXT_SHOWN:
        right = right[:CONTEXT_SHOWN] + "…"
    return left, right


def _counted(count: int, thing: str) -> str:
    return f"{count:,} {thing}" + ("" if count == 1 else "s")


class EntityPicker(QDialog):
    """Pick an entity by name: type, and the list shows the entities of that kind whose names match."""

    def __init__(self, store: Store, kind: str, exclude: int, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.store, self.kind, self.exclude = store, kind, exclude
        self.search = QLineEdit(placeholderText="Type a name or an alias")
        self.choices = QListWidget()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.choices)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._fill)
        self.choices.itemActivated.connect(lambda _item: self.accept())
        self._fill("")
        self.resize(380, 320)

    def _fill(self, search: str) -> None:
        self.choices.clear()
        for row in queries.list_entities(self.store, self.kind, search or None, limit=50):
            if row.id != self.exclude:
                also = f"  (also {', '.join(row.aliases)})" if row.aliases else ""
                item = QListWidgetItem(f"{row.name}{also} · {row.mentions} mentions")
                item.setData(EntityIdRole, row.id)
                self.choices.addItem(item)
        self.choices.setCurrentRow(0)

    def chosen(self) -> int | None:
        item = self.choices.currentItem()
        return int(item.data(EntityIdRole)) if item is not None else None


class EntitiesView(QWidget):
    mention_activated = Signal(int, int)  # article id, span id

    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.gateway = store, gateway
        self.commands = EntityCommands(gateway)
        self.entity: dict[str, Any] | None = None  # the chosen entity as the registry holds it
        self._mentions: list[Mention] = []
        self._stale = False
        self._build_list()
        self._build_details()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._list_box)
        splitter.addWidget(self._details_box)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self._list_box.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        gateway.changes_applied.connect(self._on_changes)
        self.fill_kinds()
        self.show_entity(None)

    # -- building --------------------------------------------------------------------------
    def _build_list(self) -> None:
        self.search = QLineEdit(placeholderText="Search names and aliases", clearButtonEnabled=True)
        self.kind = QComboBox()
        self.model = EntityTableModel(self.store, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Widths from the font, not the contents: measuring them would read a thousand rows.
        for column, widest in ((1, "PERSON"), (2, "Mentions"), (3, "Articles")):
            self.table.setColumnWidth(column, self.fontMetrics().horizontalAdvance(widest) + 24)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.count_label = muted_label()
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._enter_table)  # from the search to the entities it found
        self.kind.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.table.selectionModel().currentRowChanged.connect(lambda current, _prev: self._on_row(current.row()))
        self._list_box = QWidget()
        box = QVBoxLayout(self._list_box)
        box.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.kind)
        box.addLayout(row)
        box.addWidget(self.table, 1)
        box.addWidget(self.count_label)

    def _build_details(self) -> None:
        self.buttons: dict[str, QPushButton] = {}  # the entity's actions, by name
        self.heading = plain_label()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.DemiBold)
        self.heading.setFont(font)
        self.summary = muted_label()
        self.aliases = plain_label()
        self.aliases.setWordWrap(True)
        self.external_id = QLineEdit(placeholderText="A Wikidata QID or an address (not looked up)")
        self.note = QLineEdit(placeholderText="A note about this entity")
        self.external_id.editingFinished.connect(self._save_details)
        self.note.editingFinished.connect(self._save_details)
        form = QFormLayout()
        form.addRow("Aliases:", self.aliases)
        form.addRow("External id:", self.external_id)
        form.addRow("Note:", self.note)
        buttons = QHBoxLayout()
        for name, text, slot, tip in (
                ("rename", "Rename…", self.rename, "Give the entity another name"),
                ("add_alias", "Add Alias…", self.add_alias, "Another name: spans that say it are proposed this entity"),
                ("remove_alias", "Remove Alias…", self.remove_alias, "Drop one of the entity's aliases"),
                ("merge", "Merge…", self.merge, "Merge another entity into this one: its mentions and names follow"),
                ("split", "Split…", self.split, "Move the chosen mentions to a new entity"),
                ("delete", "Delete", self.delete, "Delete the entity; its mentions stay, unlinked")):
            button = self.buttons[name] = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.mentions = QTableWidget(0, 4)
        self.mentions.setHorizontalHeaderLabels(["Article", "Before", "Mention", "After"])
        self.mentions.verticalHeader().hide()
        self.mentions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mentions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.mentions.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.mentions.setWordWrap(False)
        header = self.mentions.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.mentions.setColumnWidth(0, 200)
        self.mentions.activated.connect(lambda index: self.open_mention(index.row()))
        self.mentions_label = muted_label()
        self.more = QPushButton("Show More Mentions")
        self.more.clicked.connect(self._more_mentions)
        self._details_box = QWidget()
        box = QVBoxLayout(self._details_box)
        box.setContentsMargins(8, 0, 0, 0)
        box.addWidget(self.heading)
        box.addWidget(self.summary)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addWidget(self.mentions_label)
        box.addWidget(self.mentions, 1)
        box.addWidget(self.more, 0, Qt.AlignmentFlag.AlignLeft)

    # -- the list --------------------------------------------------------------------------
    def fill_kinds(self) -> None:
        previous = self.kind.currentData()
        self.kind.blockSignals(True)
        self.kind.clear()
        self.kind.addItem("All kinds", None)
        for label in list_labels(self.store):
            if label.kind == "entity":
                self.kind.addItem(label.name, label.name)
        self.kind.setCurrentIndex(max(self.kind.findData(previous), 0))
        self.kind.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.kind.currentData(), self.search.text().strip())
        self._count_changed()
        self._select(self.entity["id"] if self.entity else None)

    def _count_changed(self) -> None:
        count = self.model.rowCount()
        self.count_label.setText(f"{count:,} entities" if count != 1 else "1 entity")

    def _select(self, entity_id: int | None) -> None:
        row = self.model.row_of(entity_id) if entity_id is not None else None
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        if row is None:
            selection.clearSelection()
        else:
            selection.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                      | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(self.model.index(row, 0))
        selection.blockSignals(False)

    def _enter_table(self) -> None:
        if self._search_timer.isActive():
            self.apply_filter()
        self.table.setFocus()
        if self.model.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _on_row(self, row: int) -> None:
        entity = self.model.row(row)
        self.show_entity(entity.id if entity is not None else None)

    def select_entity(self, entity_id: int) -> None:
        """Choose an entity as a click in the table does."""
        row = self.model.row_of(entity_id)
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
        else:
            self.show_entity(entity_id)

    # -- the chosen entity -----------------------------------------------------------------
    def show_entity(self, entity_id: int | None) -> None:
        try:
            self.entity = registry.read_entity(self.store, entity_id) if entity_id is not None else None
        except InvalidInput:
            self.entity = None  # deleted or merged away
        entity = self.entity
        self._details_box.setEnabled(entity is not None)
        for button in self.buttons.values():
            button.setEnabled(entity is not None and not self.store.read_only)
        for field in (self.external_id, self.note):
            field.setReadOnly(self.store.read_only)
        if entity is None:
            self.heading.setText("No entity chosen")
            self.summary.setText("Choose an entity on the left to see its mentions.")
            self.aliases.setText("")
            self.external_id.setText("")
            self.note.setText("")
            self._show_mentions([], 0)
            return
        self.heading.setText(entity["name"])
        self.aliases.setText(", ".join(entity["aliases"]) or "none")
        self.external_id.setText(entity["external_id"] or "")
        self.note.setText(entity["note"] or "")
        total = queries.count_mentions(self.store, entity["id"])
        self._show_mentions(queries.mentions(self.store, entity["id"], limit=MENTIONS_PAGE), total)

    def _show_mentions(self, mentions: list[Mention], total: int) -> None:
        self._mentions = list(mentions)
        self.mentions.setRowCount(0)
        self._append_mentions(mentions)
        if self.entity is not None:
            at = self.model.row_of(self.entity["id"])
            row = self.model.row(at) if at is not None else None
            articles = row.articles if row is not None and row.id == self.entity["id"] else None
            counts = [_counted(total, "mention")] + ([_counted(articles, "article")] if articles is not None else [])
            self.summary.setText(" · ".join([self.entity["kind"], *counts]))
        shown = f"{len(self._mentions):,} of {_counted(total, 'mention')}" if total > len(self._mentions) else \
            _counted(total, "mention")
        self.mentions_label.setText(f"{shown} — Enter or a double click opens one in its article; choose some, "
                                    "then Split… to move them to a new entity"
                                    if total else "No mentions yet: link spans to it in the annotation panel (L).")
        self.more.setVisible(total > len(self._mentions))

    def _append_mentions(self, mentions: list[Mention]) -> None:
        bold = QFont(self.mentions.font())
        bold.setBold(True)
        for mention in mentions:
            row = self.mentions.rowCount()
            self.mentions.insertRow(row)
            left, right = _context(mention.left, mention.right)
            cells = [QTableWidgetItem(mention.article_title or mention.article_uid), QTableWidgetItem(left),
                     QTableWidgetItem(mention.text), QTableWidgetItem(right)]
            cells[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            cells[2].setFont(bold)
            cells[0].setToolTip(mention.article_title)
            for column, cell in enumerate(cells):
                self.mentions.setItem(row, column, cell)

    def _more_mentions(self) -> None:
        if self.entity is None:
            return
        page = queries.mentions(self.store, self.entity["id"], offset=len(self._mentions), limit=MENTIONS_PAGE)
        self._mentions.extend(page)
        self._append_mentions(page)
        self._show_mentions(self._mentions, queries.count_mentions(self.store, self.entity["id"]))

    def chosen_mentions(self) -> list[Mention]:
        rows = sorted({index.row() for index in self.mentions.selectionModel().selectedRows()})
        return [self._mentions[r] for r in rows if r < len(self._mentions)]

    def open_mention(self, row: int) -> None:
        if 0 <= row < len(self._mentions):
            self.mention_activated.emit(self._mentions[row].article_id, self._mentions[row].span_id)

    # -- actions ---------------------------------------------------------------------------
    def _ask(self, title: str, label: str, text: str = "") -> str | None:
        value, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, text)
        return value.strip() if ok and value.strip() else None

    def rename(self) -> None:
        entity = self.entity
        if entity and (name := self._ask("Rename Entity", "New name:", entity["name"])) and name != entity["name"]:
            self.commands.rename(entity["id"], entity["name"], name)

    def add_alias(self) -> None:
        if self.entity and (alias := self._ask("Add Alias", f"Another name of {self.entity['name']}:")):
            self.commands.add_alias(self.entity["id"], self.entity["name"], alias)

    def remove_alias(self) -> None:
        if not self.entity or not self.entity["aliases"]:
            return
        alias, ok = QInputDialog.getItem(self, "Remove Alias", f"Alias of {self.entity['name']} to remove:",
                                         self.entity["aliases"], 0, False)
        if ok and alias:
            self.commands.remove_alias(self.entity["id"], self.entity["name"], alias)

    def _save_details(self) -> None:
        entity = self.entity
        if entity is None or self.store.read_only:
            return
        external_id, note = self.external_id.text().strip(), self.note.text()
        if (external_id, note) != (entity["external_id"] or "", entity["note"] or ""):
            self.commands.set_details(entity["id"], entity["name"], external_id=external_id, note=note)

    def merge(self) -> None:
        entity = self.entity
        if entity is None:
            return
        picker = EntityPicker(self.store, entity["kind"], entity["id"],
                              f"Merge Into {entity['name']}", self)
        if picker.exec() == QDialog.DialogCode.Accepted and (gone := picker.chosen()) is not None:
            gone_name = registry.read_entity(self.store, gone)["name"]
            self.commands.merge(entity["id"], gone, entity["name"], gone_name)

    def split(self) -> None:
        entity, chosen = self.entity, self.chosen_mentions()
        if entity is None:
            return
        if not chosen:
            QMessageBox.information(self, "Split Entity", "Choose the mentions that belong to another entity "
                                    "first (Ctrl+click or Shift+click in the list of mentions).")
            return
        name = self._ask("Split Entity", f"Name of the entity the {len(chosen)} chosen mentions move to:",
                         chosen[0].text)
        if name:
            self.commands.split(entity["id"], [m.span_id for m in chosen], name, entity["name"])

    def delete(self) -> None:
        entity = self.entity
        if entity is None:
            return
        answer = QMessageBox.question(self, "Delete Entity", f"Delete {entity['name']}? Its mentions stay, "
                                      "unlinked. Edit ▸ Undo brings it back.")
        if answer == QMessageBox.StandardButton.Yes:
            self.commands.delete(entity["id"], entity["name"])

    # -- changes ---------------------------------------------------------------------------
    def _on_changes(self, change: Changes, _initiator: object) -> None:
        if change.touches_labels() and change.saved:
            self.fill_kinds()
        if not change.saved or not change.touches_entities():
            return
        self._stale = True
        if self.isVisible():
            QTimer.singleShot(0, self, self.refresh)

    def refresh(self) -> None:
        """Read the registry again: the counts, and the chosen entity (it may be gone)."""
        if not self._stale:
            return
        self._stale = False
        self.model.refresh()
        self._count_changed()
        entity_id = self.entity["id"] if self.entity else None
        self.show_entity(entity_id)
        self._select(entity_id)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()


class EntitiesDock(QDockWidget):
    """The Entities view in a dock of the main window, with View ▸ Entities (``SHORTCUT``)."""

    def __init__(self, window: QMainWindow, store: Store, gateway: EditGateway) -> None:
        super().__init__("Entities", window)
        self.setObjectName("entities_dock")
        self.view = EntitiesView(store, gateway, self)
        self.setWidget(self.view)
        self.show_action = QAction("&Entities", window)
        self.show_action.setShortcut(QKeySequence(SHORTCUT))
        self.show_action.setToolTip("Show the entities: people and organisations across articles")
        self.show_action.triggered.connect(self.show_view)
        window.addAction(self.show_action)  # the shortcut works whichever pane has focus
        # Below the text, as the import pane: mentions in context need the window's width.
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self)
        self.hide()  # until asked for (or the saved layout shows it)

    def show_view(self) -> None:
        self.show()
        self.raise_()
        self.view.search.setFocus()
        self.view.search.selectAll()


def install_entities_dock(window: QMainWindow, store: Store, gateway: EditGateway,
                          open_mention: Callable[[int, int], None]) -> EntitiesDock:
    """Add the dock to ``window`` and its action to the View menu; mentions open through ``open_mention``."""
    dock = EntitiesDock(window, store, gateway)
    dock.view.mention_activated.connect(open_mention)
    beside = next((d for d in window.findChildren(QDockWidget) if d is not dock
                   and window.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea), None)
    if beside is not None:
        window.tabifyDockWidget(beside, dock)  # a tab beside the import pane, with the window's width
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "View":
            shown = menu.actions()
            if len(shown) > 3:
                menu.insertAction(shown[3], dock.show_action)
            else:
                menu.addAction(dock.show_action)
    return dock
