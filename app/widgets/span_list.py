"""The spans of the open article, grouped by label with counts, beside the text.

``SpanListModel`` is a two-level tree: one row per label (every label, so the
groups do not jump around), its spans below in text order. Edits arrive as a
new span list; the model works out which rows came and went and reports exact
row insertions and removals, so the view keeps its scroll position, expanded
groups and current row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QFrame, QTreeView, QWidget

from app.core.labels import LabelInfo
from app.core.library import SpanRecord

SPAN_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
GROUP = 0  # internal id of a label row; a span row's internal id is its group row + 1
PREVIEW_CHARS = 90
# Views call flags() and data() for every visible row many times per paint: plain ints and
# precomputed flags keep that cheap (enum arithmetic in Python is not).
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
DECORATION = int(Qt.ItemDataRole.DecorationRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
ROLES = frozenset((DISPLAY, DECORATION, TOOLTIP, FOREGROUND, SPAN_ID_ROLE))
GROUP_FLAGS = Qt.ItemFlag.ItemIsEnabled
SPAN_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

Index = QModelIndex | QPersistentModelIndex


def swatch(color: str, size: int = 12) -> QIcon:
    """A small rounded square in a label's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(color).darker(130))
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _order(span: SpanRecord) -> tuple[int, int, int]:
    return (span.start, -span.end, span.id)


class SpanListModel(QAbstractItemModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: list[LabelInfo] = []
        self._icons: dict[str, QIcon] = {}
        self._rows: list[list[SpanRecord]] = []  # per label row, in text order

    # -- content --------------------------------------------------------------------
    def set_content(self, labels: Iterable[LabelInfo], spans: Sequence[SpanRecord]) -> None:
        """New labels or a new article: one reset."""
        self.beginResetModel()
        self._labels = list(labels)
        self._icons = {lb.name: swatch(lb.color) for lb in self._labels}
        self._rows = self._grouped(spans)
        self.endResetModel()

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        """The same article after an edit: exact row removals, insertions and data changes."""
        for group, new in enumerate(self._grouped(spans)):
            self._update_group(group, new)

    def _grouped(self, spans: Sequence[SpanRecord]) -> list[list[SpanRecord]]:
        rows: dict[str, list[SpanRecord]] = {lb.name: [] for lb in self._labels}
        for span in spans:
            if span.label in rows:
                rows[span.label].append(span)
        return [sorted(rows[lb.name], key=_order) for lb in self._labels]

    def _update_group(self, group: int, new: list[SpanRecord]) -> None:
        old = self._rows[group]
        parent = self.index(group, 0)
        new_ids = [s.id for s in new]
        keep = set(new_ids)
        old_count = len(old)
        for row in range(len(old) - 1, -1, -1):
            if old[row].id not in keep:
                self.beginRemoveRows(parent, row, row)
                del old[row]
                self.endRemoveRows()
        kept = [s.id for s in old]
        kept_set = set(kept)
        if kept != [i for i in new_ids if i in kept_set]:
            # Kept spans changed order (not something edits do): start the group over.
            if old:
                self.beginRemoveRows(parent, 0, len(old) - 1)
                old.clear()
                self.endRemoveRows()
        for row, span in enumerate(new):
            if row < len(old) and old[row].id == span.id:
                if old[row] != span:
                    old[row] = span
                    changed = self.index(row, 0, parent)
                    self.dataChanged.emit(changed, changed)
                continue
            self.beginInsertRows(parent, row, row)
            old.insert(row, span)
            self.endInsertRows()
        if old_count != len(old):
            self.dataChanged.emit(parent, parent)

    # -- lookups -----------------------------------------------------------------------
    def index_of_span(self, span_id: int) -> QModelIndex:
        for group, spans in enumerate(self._rows):
            for row, span in enumerate(spans):
                if span.id == span_id:
                    return self.index(row, 0, self.index(group, 0))
        return QModelIndex()

    def span_at(self, index: Index) -> SpanRecord | None:
        if not index.isValid() or index.internalId() == GROUP:
            return None
        return self._rows[index.internalId() - 1][index.row()]

    def count(self, label: str) -> int:
        for info, spans in zip(self._labels, self._rows, strict=True):
            if info.name == label:
                return len(spans)
        return 0

    # -- QAbstractItemModel ----------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, GROUP) if row < len(self._labels) else QModelIndex()
        if parent.internalId() != GROUP or parent.column() != 0:
            return QModelIndex()
        group = parent.row()
        if group >= len(self._rows) or row >= len(self._rows[group]):
            return QModelIndex()
        return self.createIndex(row, 0, group + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == GROUP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, GROUP)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt override
        if not parent.isValid():
            return len(self._labels)
        if parent.internalId() == GROUP and parent.column() == 0:
            return len(self._rows[parent.row()])
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 1

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802 - Qt override
        return self.rowCount(parent) > 0

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return GROUP_FLAGS if index.internalId() == GROUP else SPAN_FLAGS

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role not in ROLES or not index.isValid():
            return None
        if index.internalId() == GROUP:
            info = self._labels[index.row()]
            count = len(self._rows[index.row()])
            if role == DISPLAY:
                return f"{info.name}  ({count})"
            if role == DECORATION:
                return self._icons.get(info.name)
            if role == TOOLTIP:
                key = f" — key {info.shortcut}" if info.shortcut else ""
                return f"{info.description or info.name}{key}"
            if role == FOREGROUND and count == 0:
                return QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            return None
        span = self._rows[index.internalId() - 1][index.row()]
        if role == DISPLAY:
            verdict = span.attributes.get("verdict")
            shown = preview(span.text)
            return f"{shown}  · {verdict}" if verdict and verdict != "unverified" else shown
        if role == TOOLTIP:
            lines = [preview(span.text, 400), f"{span.label} · characters {span.start}–{span.end} · {span.annotator}"]
            for key in ("claimant", "verdict", "note"):
                if span.attributes.get(key):
                    lines.append(f"{key}: {span.attributes[key]}")
            return "\n".join(lines)
        if role == SPAN_ID_ROLE:
            return span.id
        return None


class SpanList(QTreeView):
    """The span tree; picking a span emits ``span_selected``; ``select_span`` follows the text."""

    span_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.span_model = SpanListModel(self)
        self.setModel(self.span_model)
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAnimated(False)
        self._following = False
        self.span_model.modelReset.connect(self._expand_groups)
        self.selectionModel().currentChanged.connect(self._on_current)

    def set_content(self, labels: Iterable[LabelInfo], spans: Sequence[SpanRecord]) -> None:
        self._following = True
        try:
            self.span_model.set_content(labels, spans)
        finally:
            self._following = False

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        self._following = True
        try:
            self.span_model.set_spans(spans)
        finally:
            self._following = False

    def _expand_groups(self) -> None:
        # Expanding the few label rows, not expandAll(), which visits every span row.
        for row in range(self.span_model.rowCount()):
            self.expand(self.span_model.index(row, 0))

    def selected_span_id(self) -> int | None:
        span = self.span_model.span_at(self.currentIndex())
        return span.id if span and self.selectionModel().isSelected(self.currentIndex()) else None

    def select_span(self, span_id: int | None) -> None:
        """Show ``span_id`` as the current row (None clears) without emitting ``span_selected``."""
        self._following = True
        try:
            index = self.span_model.index_of_span(span_id) if span_id is not None else QModelIndex()
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            if index.isValid():
                self.selectionModel().setCurrentIndex(index, flags)
                self.scrollTo(index)
            else:
                self.selectionModel().clearSelection()
                self.selectionModel().setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        finally:
            self._following = False

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._following:
            return
        span = self.span_model.span_at(current)
        if span is not None:
            self.span_selected.emit(span.id)
