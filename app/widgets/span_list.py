"""The spans of the open article, grouped by label with counts, beside the text.

``SpanListModel`` is a two-level tree: one row per label (every label, so the
groups do not jump around), its spans below in text order. Edits arrive as a
new span list; the model works out which rows came and went and makes exact
row insertions and removals, so the view keeps its scroll position, expanded
groups and current row.

The rows are ``QStandardItem``s: after each key press the tree lays out and
paints its rows, and with items held in C++ that costs no Python call per
row (a Python ``QAbstractItemModel`` made labelling 3x slower at 300 spans).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QHelpEvent,
    QIcon,
    QMouseEvent,
    QPainter,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QAbstractItemView, QFrame, QToolTip, QTreeView, QWidget

from app.core.ops.labels import LabelInfo
from app.core.ops.library import SpanRecord

SPAN_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
PREVIEW_CHARS = 90
GROUP_FLAGS = Qt.ItemFlag.ItemIsEnabled

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


def _span_item(span: SpanRecord, entities: dict[int, str]) -> QStandardItem:
    # Default flags (selectable, enabled; the view does not edit or drag): setting them costs
    # more than the rest of the item when an article with hundreds of spans opens.
    item = QStandardItem(_display(span, entities))
    item.setData(span.id, SPAN_ID_ROLE)
    return item


def _display(span: SpanRecord, entities: dict[int, str]) -> str:
    """The span's words, then the entity it is linked to ("Meta's  → Meta") or its verdict."""
    verdict = span.attributes.get("verdict")
    shown = preview(span.text)
    if span.entity_id is not None:
        shown += f"  → {entities.get(span.entity_id, 'linked')}"
    return f"{shown}  · {verdict}" if verdict and verdict != "unverified" else shown


def tooltip(span: SpanRecord, entities: dict[int, str] | None = None) -> str:
    """Built when the pointer rests on a row, not for every row of every article opened."""
    lines = [preview(span.text, 400), f"{span.label} · characters {span.start}–{span.end} · {span.annotator}"]
    if span.entity_id is not None:
        lines.append(f"entity: {(entities or {}).get(span.entity_id, span.entity_id)}")
    lines += [f"{key}: {span.attributes[key]}" for key in ("claimant", "verdict", "note") if span.attributes.get(key)]
    return "\n".join(lines)


class SpanListModel(QStandardItemModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: list[LabelInfo] = []
        self._rows: list[list[SpanRecord]] = []  # per label row, in text order, as the items show them
        self.entities: dict[int, str] = {}  # the names of the entities spans link to, by id

    # -- content --------------------------------------------------------------------
    def set_content(self, labels: Iterable[LabelInfo], spans: Sequence[SpanRecord]) -> None:
        """New labels or a new article: one reset, the groups built before they join the model."""
        self.clear()
        self._labels = list(labels)
        self._rows = self._grouped(spans)
        groups = []
        for info, rows in zip(self._labels, self._rows, strict=True):
            group = QStandardItem(swatch(info.color), "")
            group.setFlags(GROUP_FLAGS)
            key = f" — key {info.shortcut}" if info.shortcut else ""
            group.setToolTip(f"{info.description or info.name}{key}")
            for span in rows:  # one by one: appendRows() with a list leaves Python owning the items
                group.appendRow(_span_item(span, self.entities))
            groups.append(group)
            self._count_changed(group, info, len(rows))
        for group in groups:
            self.appendRow(group)

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        """The same article after an edit: exact row removals, insertions and changes."""
        for group, new in enumerate(self._grouped(spans)):
            self._update_group(group, new)

    def _grouped(self, spans: Sequence[SpanRecord]) -> list[list[SpanRecord]]:
        """Spans per label row, in the order given (text order, as ``get_article`` returns them)."""
        rows: dict[str, list[SpanRecord]] = {lb.name: [] for lb in self._labels}
        for span in spans:
            if span.label in rows:
                rows[span.label].append(span)
        return [rows[lb.name] for lb in self._labels]

    def _update_group(self, group: int, new: list[SpanRecord]) -> None:
        old = self._rows[group]
        item = self.item(group)
        if [s.id for s in old] == [s.id for s in new]:
            for row, (before, after) in enumerate(zip(old, new, strict=True)):
                if before is not after and before != after:
                    item.child(row).setText(_display(after, self.entities))
            self._rows[group] = list(new)
            return
        keep = {s.id for s in new}
        for row in range(len(old) - 1, -1, -1):
            if old[row].id not in keep:
                item.removeRow(row)
                del old[row]
        kept = [s.id for s in old]
        kept_set = set(kept)
        if kept != [s.id for s in new if s.id in kept_set] and old:
            # Kept spans changed order (not something edits do): start the group over.
            item.removeRows(0, len(old))
            old.clear()
        for row, span in enumerate(new):
            if row < len(old) and old[row].id == span.id:
                if old[row] is not span and old[row] != span:
                    item.child(row).setText(_display(span, self.entities))
                    old[row] = span
                continue
            # The list form: insertRow(row, item) inserts an empty row.
            item.insertRow(row, [_span_item(span, self.entities)])
            old.insert(row, span)
        self._count_changed(item, self._labels[group], len(old))

    def set_entity_names(self, names: dict[int, str]) -> None:
        """New names of the entities spans link to: the linked rows say them."""
        if names == self.entities:
            return
        self.entities = dict(names)
        for group, spans in enumerate(self._rows):
            item = self.item(group)
            for row, span in enumerate(spans):
                if span.entity_id is not None:
                    item.child(row).setText(_display(span, self.entities))

    @staticmethod
    def _count_changed(item: QStandardItem, info: LabelInfo, count: int) -> None:
        text = f"{info.name}  ({count})"
        if item.text() != text:
            item.setText(text)
        # An empty group is drawn greyed out (it has no rows to pick anyway).
        if item.isEnabled() != bool(count):
            item.setEnabled(bool(count))

    # -- lookups -----------------------------------------------------------------------
    def index_of_span(self, span_id: int) -> QModelIndex:
        for group, spans in enumerate(self._rows):
            for row, span in enumerate(spans):
                if span.id == span_id:
                    return self.index(row, 0, self.index(group, 0))
        return QModelIndex()

    def span_at(self, index: Index) -> SpanRecord | None:
        parent = index.parent() if index.isValid() else QModelIndex()
        if not parent.isValid() or parent.row() >= len(self._rows):
            return None
        rows = self._rows[parent.row()]
        return rows[index.row()] if index.row() < len(rows) else None

    def count(self, label: str) -> int:
        for info, spans in zip(self._labels, self._rows, strict=True):
            if info.name == label:
                return len(spans)
        return 0


class SpanList(QTreeView):
    """The span tree; picking a span emits ``span_selected``; ``select_span`` follows the text.

    While the annotator labels in the text, edits reach the tree when they pause
    for ``REFRESH_DELAY_MS`` (each row insertion repaints the whole tree, which
    would double the time from a label key to the text showing the span). Every
    read (``span_model``, ``selected_span_id``) and every click brings it up to
    date first; with the focus in the tree, edits show at once.
    """

    span_selected = Signal(int)
    REFRESH_DELAY_MS = 120

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = SpanListModel(self)
        self.setModel(self._model)
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAnimated(False)
        self._following = False
        self._pending: Sequence[SpanRecord] | None = None
        self._pending_selection: int | None = None
        self._timer = QTimer(self, singleShot=True, interval=self.REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        self.selectionModel().currentChanged.connect(self._on_current)

    @property
    def span_model(self) -> SpanListModel:
        """The model, brought up to date first."""
        self.flush()
        return self._model

    def set_content(self, labels: Iterable[LabelInfo], spans: Sequence[SpanRecord]) -> None:
        self._pending = None
        self._timer.stop()
        self._following = True
        try:
            self._model.set_content(labels, spans)
            self.expandAll()
        finally:
            self._following = False

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        if self.isVisible() and not self.hasFocus():
            if self._pending is None:
                self._pending_selection = self._selected_now()
            self._pending = spans
            self._timer.start()
            return
        self._pending = spans
        self.flush()

    def set_entity_names(self, names: dict[int, str]) -> None:
        """The names of the entities spans link to; held-back edits show them when they are shown."""
        self._model.set_entity_names(names)

    def refresh_pending(self) -> bool:
        return self._pending is not None

    def flush(self) -> None:
        """Show the edits held back while they came in quick succession."""
        self._timer.stop()
        spans, self._pending = self._pending, None
        if spans is None:
            return
        self._following = True
        try:
            self._model.set_spans(spans)
        finally:
            self._following = False
        self.select_span(self._pending_selection)

    def selected_span_id(self) -> int | None:
        if self._pending is not None:
            return self._pending_selection
        return self._selected_now()

    def _selected_now(self) -> int | None:
        index = self.currentIndex()
        span = self._model.span_at(index)
        return span.id if span and self.selectionModel().isSelected(index) else None

    def select_span(self, span_id: int | None) -> None:
        """Show ``span_id`` as the current row (None clears) without emitting ``span_selected``."""
        if self._pending is not None:
            self._pending_selection = span_id
            return
        if span_id is not None and self._selected_now() == span_id:
            return
        self._following = True
        try:
            index = self._model.index_of_span(span_id) if span_id is not None else QModelIndex()
            if index.isValid():
                self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                self.scrollTo(index)
            else:
                self.selectionModel().clearSelection()
                self.selectionModel().setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        finally:
            self._following = False

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        self.flush()
        super().focusInEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.flush()
        super().mousePressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            span = self._model.span_at(self.indexAt(event.pos()))
            if span is not None:
                QToolTip.showText(event.globalPos(), tooltip(span, self._model.entities), self.viewport())
                return True
        return super().viewportEvent(event)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._following:
            return
        span = self._model.span_at(current)
        if span is not None:
            self.span_selected.emit(span.id)
