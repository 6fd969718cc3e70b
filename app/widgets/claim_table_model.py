"""The Claims view's table: the span ids of one query, rows fetched a screenful at a time.

As the library's table (``article_table_model``): the model keeps the ordered
ids of every claim matching the filter (``claims.list_claim_ids``, filtered and
sorted in SQL) and reads display rows in blocks of ``BLOCK`` on first
``data()``, keeping the most recently used. With ``background=True`` a query
runs on a worker thread, in two steps for a new filter or order (its first
``BLOCK`` ids, then all: see ``query``); a newer query supersedes an older one
still running.

Edits arrive as ``Changes``: a changed claim's row is read again and repainted
in place; claims added or removed (and entity edits, which rename claimants)
run the query again.
"""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QPalette

from app.core.cancel import CancelToken
from app.core.changes import ChangeKind, Changes
from app.core.db.store import STORE_ERRORS, Store, describe_db_error
from app.core.entities import claims
from app.core.entities.claimant import ORG_LABELS, PERSON_LABELS
from app.core.entities.claims import ClaimFilter, ClaimRow
from app.widgets.article_table_model import pixmap_icon
from app.widgets.icons import icon
from app.widgets.tasks import Task, run_task

log = logging.getLogger(__name__)

SpanIdRole = Qt.ItemDataRole.UserRole
ArticleIdRole = Qt.ItemDataRole.UserRole + 1
BLOCK = 200
MAX_CACHED_ROWS = 20 * BLOCK
PREVIEW = 300  # characters of a claim shown in its cell; the tooltip has all of it

_ROOT = QModelIndex()
Index = QModelIndex | QPersistentModelIndex
_Result = tuple[int, list[int]]  # a query's generation and the span ids it found


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    sort: str  # a key of claims.SORTS


COLUMNS = (
    Column("text", "Claim", "text"),
    Column("claimant", "Claimant", "claimant"),
    Column("verdict", "Verdict", "verdict"),
    Column("site", "Site", "site"),
    Column("date", "Date", "date"),
    Column("title", "Article", "article"),  # by article (import order), then place in the text
)
_UNTITLED = "(untitled)"


def _cell(row: ClaimRow, key: str) -> str:
    if key == "text":
        shown = " ".join(row.text.split())
        return shown if len(shown) <= PREVIEW else shown[: PREVIEW - 1] + "…"
    if key == "title":
        return row.title.strip() or _UNTITLED
    return str(getattr(row, key))


def _tooltip(row: ClaimRow, key: str) -> str | None:
    if key == "text":
        lines = [row.text] + ([f"Note: {row.note}"] if row.note else [])
        return "<p style='white-space:pre-wrap'>" + "<br>".join(html.escape(t) for t in lines) + "</p>"
    if key == "claimant":
        if not row.claimant:
            return "No claimant yet"
        return (f"{html.escape(row.claimant)} ({row.claimant_kind}, entity {row.claimant_id})"
                if row.claimant_id is not None
                else f"{html.escape(row.claimant)}: a name, not linked to an entity")
    if key == "date":
        return "The claim's own date" if row.date else "No date: the claim has none and its article no date"
    if key == "title":
        return html.escape(row.title.strip() or _UNTITLED)
    return None


class ClaimTableModel(QAbstractTableModel):
    query_started = Signal()
    query_finished = Signal()  # the ids of the current filter and order are in place
    query_failed = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None, *, background: bool = False) -> None:
        super().__init__(parent)
        self._store = store
        self._filter = ClaimFilter()
        self._sort, self._descending = "article", False  # as the library: import order
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._cache: OrderedDict[int, ClaimRow] = OrderedDict()
        self._missing: set[int] = set()
        self._background = background
        self._generation = 0
        self._task: Task | None = None
        self.loading = False
        self._icons: dict[str, QIcon] = {}

    # -- what is shown ------------------------------------------------------------------------
    @property
    def claim_filter(self) -> ClaimFilter:
        return self._filter

    @property
    def sort_key(self) -> tuple[str, bool]:
        return self._sort, self._descending

    def span_ids(self) -> list[int]:
        return list(self._ids)

    def span_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, span_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {span: row for row, span in enumerate(self._ids)}
        return self._row_of.get(span_id)

    def claim(self, row: int) -> ClaimRow | None:
        """The claim shown in ``row``, read with its block of rows if not cached."""
        span_id = self.span_id(row)
        if span_id is None or span_id in self._missing:
            return None
        found = self._cache.get(span_id)
        if found is not None:
            self._cache.move_to_end(span_id)
            return found
        start = row - row % BLOCK
        wanted = [i for i in self._ids[start : start + BLOCK] if i not in self._cache and i not in self._missing]
        try:
            fetched = claims.claim_rows(self._store, wanted)
        except STORE_ERRORS as exc:
            log.warning("Claim rows could not be read: %s", describe_db_error(exc))
            return None
        for i in wanted:
            if i in fetched:
                self._cache[i] = fetched[i]
            else:
                self._missing.add(i)
        while len(self._cache) > MAX_CACHED_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(span_id)

    # -- Qt model interface ----------------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Sort by {COLUMNS[section].header.lower()}"
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            return Qt.SortOrder.DescendingOrder if COLUMNS[section].key == "date" else Qt.SortOrder.AscendingOrder
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == SpanIdRole:
            return self.span_id(index.row())
        key = COLUMNS[index.column()].key
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.FontRole,
                        Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.DecorationRole, ArticleIdRole):
            return None
        row = self.claim(index.row())
        if row is None:
            no_longer = role == Qt.ItemDataRole.DisplayRole and index.column() == 0
            return "(no longer in the dataset)" if no_longer else None
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, key)
        if role == ArticleIdRole:
            return row.article_id
        if role == Qt.ItemDataRole.DecorationRole:
            # A linked claimant shows its kind's icon; a free name none.
            return self._kind_icon(row.claimant_kind) if key == "claimant" and row.claimant_kind else None
        # A claimant not linked to an entity is a name only: shown in italics, dimmed.
        plain = not (key == "claimant" and row.claimant_id is None) and not (key == "title" and not row.title)
        if plain:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            app = QGuiApplication.instance()
            palette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
            return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)
        font = QFont()
        font.setItalic(True)
        return font

    def _kind_icon(self, kind: str) -> QIcon:
        if kind not in self._icons:
            meaning = "label.org" if kind in ORG_LABELS else "label.person" if kind in PERSON_LABELS else "label.entity"
            self._icons[kind] = pixmap_icon(icon(meaning))
        return self._icons[kind]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort if 0 <= column < len(COLUMNS) else "article"
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self._sort, self._descending):
            self._sort, self._descending = key, descending
            self.query()

    def sort_column(self) -> int:
        return next((i for i, c in enumerate(COLUMNS) if c.sort == self._sort), -1)

    # -- queries ---------------------------------------------------------------------------------
    def set_filter(self, flt: ClaimFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.query()

    def query(self, *, first_page: bool = True) -> None:
        """Run the current filter and order again.

        In the background, a new filter or order shows its first ``BLOCK`` rows as soon as a LIMIT query
        gives them, then the rest (an order without an index, the date, reads every claim: the first rows
        need not wait for all of them to be sorted). The same query run again after an edit
        (``first_page=False``) keeps the rows shown until all the new ids are in.
        """
        self._generation += 1
        generation, store, flt = self._generation, self._store, self._filter
        sort, descending = self._sort, self._descending
        self.loading = True
        self.query_started.emit()

        def fetch(progress: Callable[..., None] | None = None, cancel: CancelToken | None = None) -> _Result | None:
            if first_page and progress is not None:
                first = claims.list_claim_ids(store, flt, sort=sort, descending=descending, limit=BLOCK)
                if len(first) < BLOCK:
                    return generation, first
                progress(generation, first)
            if cancel is not None and cancel.cancelled:
                return None
            return generation, claims.list_claim_ids(store, flt, sort=sort, descending=descending)

        if not self._background:
            try:
                self._apply(fetch())
            except STORE_ERRORS as exc:
                self._failed(exc)
            return
        if self._task is not None:
            self._task.cancel.cancel()
        self._task = run_task(fetch, on_done=self._apply, on_error=self._failed, on_progress=self._first_rows)

    def _first_rows(self, generation: int, ids: list[int]) -> None:
        if shiboken6.isValid(self) and generation == self._generation:
            self._show_ids(ids)

    def _apply(self, result: _Result | None) -> None:
        if result is None or not shiboken6.isValid(self) or result[0] != self._generation:
            return
        self.loading = False
        ids = result[1]
        if ids == self._ids:
            if ids:  # the same claims: their rows are read again (reload) when next painted
                self.dataChanged.emit(self.index(0, 0), self.index(len(ids) - 1, len(COLUMNS) - 1))
        elif self._ids and ids[: len(self._ids)] == self._ids:  # the rest after the first page
            self.beginInsertRows(_ROOT, len(self._ids), len(ids) - 1)
            self._ids, self._row_of = ids, None
            self.endInsertRows()
        else:
            self._show_ids(ids)
        self.query_finished.emit()

    def _show_ids(self, ids: list[int]) -> None:
        self.beginResetModel()
        self._ids, self._row_of = ids, None
        self._missing.clear()
        self.endResetModel()

    def reload(self) -> None:
        """Forget every row read and run the query again (the dataset changed)."""
        self._cache.clear()
        self._missing.clear()
        self.query(first_page=False)

    def _failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.loading = False
        log.warning("claims query failed: %s", exc)
        self.query_failed.emit(describe_db_error(exc) if isinstance(exc, STORE_ERRORS) else str(exc))

    # -- edits -----------------------------------------------------------------------------------
    def apply_change(self, change: Changes) -> bool:
        """Follow a stored change; True when the query runs again (rows may come and go)."""
        requery = change.has(ChangeKind.SPAN_ADDED, ChangeKind.SPANS_ADDED, ChangeKind.SPAN_REMOVED,
                             ChangeKind.SPANS_REMOVED, ChangeKind.ARTICLES_ADDED, ChangeKind.ARTICLES_DELETED,
                             ChangeKind.LABELS_CHANGED, ChangeKind.ROLLED_BACK, ChangeKind.ENTITIES_CHANGED,
                             ChangeKind.SPANS_LINKED)
        if requery:
            self.reload()
            return True
        if change.has(ChangeKind.SPAN_CHANGED):
            # A filter on the verdict or claimant may no longer hold: the order and the rows stay put
            # until the next query, so that an edited row never jumps away under the reader.
            self.forget(change.span_ids)
        return False

    def forget(self, span_ids: Iterable[int]) -> None:
        """Read these claims again when next shown."""
        for span_id in span_ids:
            self._cache.pop(span_id, None)
            row = self.row_of(span_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
