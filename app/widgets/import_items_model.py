"""Item models of the import pane: the items of one import run, and the list of earlier runs.

Both hold small immutable records (an import item is not an article row: it
may have no article at all), append with exact ``beginInsertRows`` so a running
import never resets the view, and build icons once per outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from app.core.ingest.import_log import BatchSummary
from app.widgets.icons import icon
from app.widgets.palette import OUTCOME_COLORS

OUTCOME_TEXT = {"imported": "Imported", "duplicate": "Duplicate", "failed": "Failed", "cancelled": "Cancelled"}
RETRYABLE = ("failed", "cancelled")  # outcomes that "Retry" imports again

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class _Outcome(Protocol):
    """What ``ItemOutcome`` (a live import) and ``LogItem`` (the history) have in common."""

    @property
    def source(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def article_id(self) -> int | None: ...
    @property
    def title(self) -> str | None: ...


@dataclass(frozen=True)
class ItemRow:
    source: str
    outcome: str
    reason: str
    title: str
    article_id: int | None

    @classmethod
    def of(cls, item: _Outcome) -> ItemRow:
        return cls(item.source, item.outcome, item.reason or "", item.title or "", item.article_id)


_outcome_icons: dict[str, QIcon] = {}


def outcome_icon(outcome: str) -> QIcon:
    # qtawesome renders a font glyph per call; thousands of rows share four icons.
    if outcome not in _outcome_icons:
        _outcome_icons[outcome] = icon(f"outcome.{outcome}", color=OUTCOME_COLORS.get(outcome))
    return _outcome_icons[outcome]


class _RowsTableModel(QAbstractTableModel):
    """A read-only table over a Python list, one row per item and named columns."""

    COLUMNS: tuple[str, ...] = ()
    _rows: list[Any]

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt API)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None


class ImportItemsModel(_RowsTableModel):
    """Source, outcome, reason and title of each item; rows only ever get appended or all cleared."""

    COLUMNS = ("Source", "Outcome", "Reason", "Title")
    SOURCE, OUTCOME, REASON, TITLE = range(4)
    ArticleIdRole = Qt.ItemDataRole.UserRole + 1
    OutcomeRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ItemRow] = []

    # -- changes -----------------------------------------------------------------------
    def append(self, items: Iterable[_Outcome]) -> None:
        new = [ItemRow.of(i) for i in items]
        if not new:
            return
        first = len(self._rows)
        self.beginInsertRows(_ROOT, first, first + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()

    def set_items(self, items: Iterable[_Outcome]) -> None:
        self.beginResetModel()
        self._rows = [ItemRow.of(i) for i in items]
        self.endResetModel()

    def clear(self) -> None:
        self.set_items(())

    def rows(self) -> Sequence[ItemRow]:
        return tuple(self._rows)

    # -- QAbstractTableModel -----------------------------------------------------------
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.source, OUTCOME_TEXT.get(row.outcome, row.outcome), row.reason, row.title)[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            # Long URLs and reasons are elided in the cells; the tooltip has them whole.
            return (row.source, row.reason or OUTCOME_TEXT.get(row.outcome), row.reason, row.title)[col] or None
        if role == Qt.ItemDataRole.DecorationRole and col == self.OUTCOME:
            return outcome_icon(row.outcome)
        if role == Qt.ItemDataRole.ForegroundRole and col == self.REASON and row.outcome in RETRYABLE:
            return QColor(OUTCOME_COLORS[row.outcome])
        if role == self.ArticleIdRole:
            return row.article_id
        if role == self.OutcomeRole:
            return row.outcome
        return None


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class ImportBatchesModel(_RowsTableModel):
    """Earlier import runs, newest first, with their counts."""

    COLUMNS = ("When", "Items", "Imported", "Duplicates", "Failed", "Cancelled")
    BatchRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[BatchSummary] = []

    def set_batches(self, batches: Sequence[BatchSummary]) -> None:
        # The list is short (tens of runs) and replaced after each import.
        self.beginResetModel()
        self._rows = list(batches)
        self.endResetModel()

    def batch_at(self, row: int) -> BatchSummary:
        return self._rows[row]

    def row_of(self, batch: str) -> int:
        return next((i for i, b in enumerate(self._rows) if b.batch == batch), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        b = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (_when(b.finished), b.total, b.imported, b.duplicates, b.failed, b.cancelled)[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return outcome_icon("failed" if b.failed else "cancelled" if b.cancelled else "imported")
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"Started {_when(b.started)}, finished {_when(b.finished)}"
        if role == self.BatchRole:
            return b.batch
        return None
