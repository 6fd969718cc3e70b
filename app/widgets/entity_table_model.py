"""The Entities view's table: entities of one filter, a page of rows fetched when first shown.

The model knows how many entities match (``count_entities``) and reads the rows
of a page (``list_entities``, ``PAGE`` rows, ordered by name in SQL) the first
time the view asks for one of them, keeping the ``MAX_PAGES`` most recently
used. A million entities cost one count and the pages scrolled through.

After an edit of the registry the pages are read again: when the number of
entities is unchanged the rows are repainted in place (a rename may reorder
them, as the dataset now sorts them); otherwise the model is reset.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from app.core.db.store import Store
from app.core.entities import queries
from app.core.entities.queries import EntityRow

EntityIdRole = int(Qt.ItemDataRole.UserRole) + 1
PAGE = 200
MAX_PAGES = 20
HEADERS = ("Name", "Kind", "Mentions", "Articles")

Index = QModelIndex | QPersistentModelIndex


class EntityTableModel(QAbstractTableModel):
    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.kind: str | None = None
        self.search = ""
        self._count = 0
        self._pages: OrderedDict[int, list[EntityRow]] = OrderedDict()

    # -- what is shown -------------------------------------------------------------------
    def set_filter(self, kind: str | None, search: str) -> None:
        self.beginResetModel()
        self.kind, self.search = kind, search
        self._count = queries.count_entities(self.store, kind, search)
        self._pages.clear()
        self.endResetModel()

    def refresh(self) -> None:
        """Read the rows again after an edit of the registry."""
        count = queries.count_entities(self.store, self.kind, self.search)
        if count != self._count:
            self.set_filter(self.kind, self.search)
            return
        self._pages.clear()
        if count:
            self.dataChanged.emit(self.index(0, 0), self.index(count - 1, len(HEADERS) - 1))

    def row(self, row: int) -> EntityRow | None:
        if not 0 <= row < self._count:
            return None
        page = row // PAGE
        rows = self._pages.get(page)
        if rows is None:
            rows = queries.list_entities(self.store, self.kind, self.search or None, page * PAGE, PAGE)
            self._pages[page] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        at = row - page * PAGE
        return rows[at] if at < len(rows) else None

    def row_of(self, entity_id: int) -> int | None:
        """The row of an entity among the pages read so far (the ones the annotator has seen)."""
        for page, rows in self._pages.items():
            for at, entity in enumerate(rows):
                if entity.id == entity_id:
                    return page * PAGE + at
        return None

    # -- Qt -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entity = self.row(index.row())
        if entity is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (entity.name, entity.kind, f"{entity.mentions:,}", f"{entity.articles:,}")[column]
        if role == EntityIdRole:
            return entity.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            also = f"\nAlso: {', '.join(entity.aliases)}" if entity.aliases else ""
            return f"{entity.name} ({entity.kind}){also}" + (f"\n{entity.external_id}" if entity.external_id else "")
        return None
