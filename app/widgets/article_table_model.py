"""The library's table of articles: the ids of one query, rows fetched a screenful at a time.

Like Anki's browser, the model keeps only the ordered list of article ids that
match the current filter and order (one ids-only query: tens of milliseconds at
100,000 articles) and fetches display rows in blocks of ``BLOCK`` on first
``data()`` access, keeping the most recently used ones. Keyset pages with
``fetchMore`` were the alternative; the id list wins because the scroll bar
shows the true size and can be dragged anywhere, the count is free, and an
article's row (for edits, selection and next/previous navigation) is a lookup
rather than a walk through pages.

Filtering and sorting happen in SQL (``library.list_article_ids``). With
``background=True`` those queries run on a worker thread, so a slow one (a
prefix that matches every article) never freezes typing or scrolling.

Edits arrive as ``Change`` records: changed rows are refetched and repainted
in place (they are not re-sorted or re-filtered until the next query, so rows
never jump under the annotator); deleted rows are removed exactly.
"""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QThreadPool, Signal
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QPalette

from app.core import library
from app.core.annotations import Change
from app.core.articles import ArticleRow
from app.core.labels import LabelInfo, list_labels
from app.core.library import ArticleFilter
from app.core.store import Store
from app.widgets.icons import icon, label_icon
from app.widgets.tasks import run_task

log = logging.getLogger(__name__)

ArticleIdRole = Qt.ItemDataRole.UserRole
BLOCK = 200  # rows fetched together: a few screens, one query of ~1 ms
MAX_CACHED_ROWS = 20 * BLOCK
MAX_EXACT_RANGES = 100  # more separate row ranges than this in one change: one coarse update instead

STATUS_TEXT = {"new": "New", "in_progress": "In progress", "done": "Done", "skipped": "Skipped"}
STATUS_COLOR = {"new": "#0ea5e9", "in_progress": "#f59e0b", "done": "#16a34a", "skipped": "#9ca3af"}

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


@dataclass(frozen=True)
class Column:
    key: str  # title, site, published, status, label, updated
    header: str
    sort: str | None  # a key of library.ID_SORTS, None when the column cannot be sorted
    label: LabelInfo | None = None


def status_icon(status: str) -> QIcon:
    return icon(f"status.{status}", color=STATUS_COLOR.get(status))


def _site(row: ArticleRow) -> str:
    if row.site_name:
        return row.site_name
    host = urlsplit(row.url).hostname if row.url else None
    return (host or "").removeprefix("www.")


def _local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc).astimezone()


def _date(published: str | None) -> str:
    if not published:
        return ""
    head = published[:10]
    return head if len(head) == 10 and head[4] == "-" and head[7] == "-" else published


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class ArticleTableModel(QAbstractTableModel):
    query_started = Signal()
    query_finished = Signal()  # the rows of the current filter and order are in place
    query_failed = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None, *, background: bool = False) -> None:
        super().__init__(parent)
        self._store = store
        self._background = background
        self._filter = ArticleFilter()
        self._sort = "id"
        self._descending = False
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None  # built on first need, dropped when rows move
        self._cache: OrderedDict[int, ArticleRow] = OrderedDict()
        self._missing: set[int] = set()  # ids deleted by someone else since the query
        self._generation = 0
        self._pending = 0  # generation of the query still running, 0 when none
        self._pending_merge = False
        self._latest = _Latest()
        self._pool: QThreadPool | None = None
        if background:
            # One worker of our own: queries run in order, a superseded one is skipped, and
            # an import busy on the global pool never delays a search.
            self._pool = QThreadPool(self)
            self._pool.setMaxThreadCount(1)
        self._columns = self._make_columns(list_labels(store))
        self._status_icons = {s: status_icon(s) for s in STATUS_TEXT}
        self._ids = library.list_article_ids(store, self._filter, sort=self._sort, descending=self._descending)

    # -- what the model shows ---------------------------------------------------------------
    @staticmethod
    def _make_columns(labels: list[LabelInfo]) -> list[Column]:
        return [
            Column("title", "Title", "title"),
            Column("site", "Site", "site"),
            Column("published", "Date", "published"),
            Column("status", "Status", "status"),
            *(Column("label", lb.name, None, lb) for lb in labels),
            Column("updated", "Last edited", "updated"),
        ]

    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def article_filter(self) -> ArticleFilter:
        return self._filter

    @property
    def sort_key(self) -> tuple[str, bool]:
        return self._sort, self._descending

    @property
    def is_loading(self) -> bool:
        return self._pending != 0

    def article_ids(self) -> list[int]:
        """Every id shown, in order (a copy)."""
        return list(self._ids)

    def ids_in_rows(self, first: int, last: int) -> list[int]:
        return self._ids[max(first, 0) : last + 1]

    def article_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, article_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {art_id: row for row, art_id in enumerate(self._ids)}
        return self._row_of.get(article_id)

    def neighbour_id(self, article_id: int, step: int) -> int | None:
        """The article ``step`` rows after (negative: before) ``article_id`` in the current order."""
        row = self.row_of(article_id)
        if row is None:
            return None
        return self.article_id(row + step)

    def article(self, row: int) -> ArticleRow | None:
        """The displayed row, fetched with its block if not cached."""
        art_id = self.article_id(row)
        if art_id is None or art_id in self._missing:
            return None
        found = self._cache.get(art_id)
        if found is not None:
            self._cache.move_to_end(art_id)
            return found
        start = row - row % BLOCK
        wanted = [i for i in self._ids[start : start + BLOCK] if i not in self._cache and i not in self._missing]
        fetched = library.article_rows(self._store, wanted)
        for i in wanted:
            if i in fetched:
                self._cache[i] = fetched[i]
            else:
                self._missing.add(i)
        while len(self._cache) > MAX_CACHED_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(art_id)

    def column_sort(self, column: int) -> str | None:
        return self._columns[column].sort if 0 <= column < len(self._columns) else None

    def sort_column(self) -> int:
        """The column of the current order, -1 for import order."""
        return next((i for i, c in enumerate(self._columns) if c.sort == self._sort), -1)

    # -- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        col = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.header
        if role == Qt.ItemDataRole.DecorationRole and col.label is not None:
            return label_icon(col.label.name, col.label.kind, col.label.color)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.label is not None:
                return f"Number of {col.label.name} spans in each article"
            return None if col.sort is None else f"Sort by {col.header.lower()}"
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            # Dates are most useful newest first.
            newest_first = col.key in ("published", "updated")
            return Qt.SortOrder.DescendingOrder if newest_first else Qt.SortOrder.AscendingOrder
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        if role == ArticleIdRole:
            return self._ids[index.row()]
        if role not in _ROLES:
            return None
        col = self._columns[index.column()]
        row = self.article(index.row())
        if row is None:
            return _gone(col, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(col, row)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._status_icons.get(row.status) if col.key == "status" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(col, row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.key == "label":
                return Qt.AlignmentFlag.AlignCenter
            return None
        if role == Qt.ItemDataRole.FontRole:
            return _italic() if col.key == "title" and not row.title.strip() else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col.key == "title" and not row.title.strip():
                return _dim()
            return None
        return None

    @staticmethod
    def _display(col: Column, row: ArticleRow) -> Any:
        key = col.key
        if key == "title":
            return row.title.strip() or "(untitled)"
        if key == "site":
            return _site(row)
        if key == "published":
            return _date(row.published)
        if key == "status":
            return STATUS_TEXT.get(row.status, row.status)
        if key == "label":
            assert col.label is not None
            n = row.span_counts.get(col.label.name, 0)
            return f"{n:,}" if n else ""
        if key == "updated":
            return _local(row.updated_at).strftime("%Y-%m-%d %H:%M")
        return None

    @staticmethod
    def _tooltip(col: Column, row: ArticleRow) -> str | None:
        # Tooltips render anything that looks like HTML, so user text is escaped into rich text.
        if col.key == "title":
            lines = [row.title.strip() or "(untitled)"]
            if row.url:
                lines.append(row.url)
            return "<p style='white-space:pre-wrap'>" + "<br>".join(html.escape(t) for t in lines) + "</p>"
        if col.key == "published" and row.published:
            return "<p>" + html.escape(row.published) + "</p>"
        if col.key == "updated":
            return "Last edited " + _local(row.updated_at).strftime("%Y-%m-%d %H:%M:%S")
        if col.key == "label":
            assert col.label is not None
            n = row.span_counts.get(col.label.name, 0)
            return f"{n:,} {col.label.name} span{'' if n == 1 else 's'}"
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order by a sortable column; -1 (or a column that cannot be sorted) means import order."""
        key = self.column_sort(column) or "id"
        descending = order == Qt.SortOrder.DescendingOrder and key != "id"
        if (key, descending) == (self._sort, self._descending):
            return
        self._sort, self._descending = key, descending
        self._query()

    # -- changing what is shown -----------------------------------------------------------------
    def set_filter(self, flt: ArticleFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self._query()

    def refresh(self) -> None:
        """Re-read the labels and run the current query again (e.g. after outside changes)."""
        columns = self._make_columns(list_labels(self._store))
        if columns != self._columns:
            self.beginResetModel()
            self._columns = columns
            self._cache.clear()
            self.endResetModel()
        else:
            self._forget_rows(self._ids)
        self._query()

    def articles_added(self) -> None:
        """New articles were stored: insert their rows where the current order puts them."""
        self._query(merge=True)

    def apply_change(self, change: Change) -> None:
        if change.kind == "articles_deleted":
            self._remove(change.article_ids)
        else:  # spans or statuses: counts, status and the edit time of these articles changed
            self._forget_rows(change.article_ids)

    # -- queries ----------------------------------------------------------------------------------
    def _query(self, merge: bool = False) -> None:
        self._generation += 1
        generation = self._generation
        store, flt, sort, descending = self._store, self._filter, self._sort, self._descending
        if self._pool is None:
            ids = library.list_article_ids(store, flt, sort=sort, descending=descending)
            self._apply((generation, merge, ids))
            return
        self._pending, self._pending_merge = generation, merge
        self.query_started.emit()
        latest = self._latest

        def fetch() -> tuple[int, bool, list[int]] | None:
            if latest.generation != generation:
                return None  # a newer query replaced this one while it waited
            return generation, merge, library.list_article_ids(store, flt, sort=sort, descending=descending)

        latest.generation = generation
        run_task(fetch, on_done=self._apply, on_error=self._failed, pool=self._pool)

    def _apply(self, result: tuple[int, bool, list[int]] | None) -> None:
        if result is None or result[0] != self._generation:
            return
        _, merge, ids = result
        self._pending = 0
        if not (merge and self._merge(ids)):
            self.beginResetModel()
            self._ids = ids
            self._row_of = None
            self._missing.clear()
            self.endResetModel()
        self.query_finished.emit()

    def _failed(self, exc: BaseException) -> None:
        self._pending = 0
        log.warning("library query failed: %s", exc)
        self.query_failed.emit(str(getattr(exc, "orig", exc)).split("\n")[0])

    def _merge(self, new: list[int]) -> bool:
        """Insert the rows of new ids exactly; False when rows vanished or moved (reset instead)."""
        old = self._ids
        if new == old:
            return True
        known = set(old)
        if [i for i in new if i in known] != old:
            return False
        runs: list[tuple[int, int]] = _runs(pos for pos, art_id in enumerate(new) if art_id not in known)
        if len(runs) > MAX_EXACT_RANGES:
            return False
        for first, last in runs:  # top-down: every earlier run is in place, so positions are final
            self.beginInsertRows(_ROOT, first, last)
            self._ids[first:first] = new[first : last + 1]
            self._row_of = None
            self.endInsertRows()
        return True

    # -- edits --------------------------------------------------------------------------------------
    def _forget_rows(self, article_ids: Iterable[int]) -> None:
        rows = []
        for art_id in article_ids:
            self._cache.pop(art_id, None)
            self._missing.discard(art_id)
            row = self.row_of(art_id)
            if row is not None:
                rows.append(row)
        runs = _runs(rows)
        if len(runs) > MAX_EXACT_RANGES:
            runs = [(runs[0][0], runs[-1][1])]
        last_col = len(self._columns) - 1
        for first, last in runs:
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))

    def _remove(self, article_ids: Iterable[int]) -> None:
        ids = set(article_ids)
        for art_id in ids:
            self._cache.pop(art_id, None)
        runs = _runs(r for r in (self.row_of(i) for i in ids) if r is not None)
        if len(runs) > MAX_EXACT_RANGES:
            self.beginResetModel()
            self._ids = [i for i in self._ids if i not in ids]
            self._row_of = None
            self.endResetModel()
        else:
            for first, last in reversed(runs):  # bottom-up keeps the earlier rows' positions valid
                self.beginRemoveRows(_ROOT, first, last)
                del self._ids[first : last + 1]
                self._row_of = None
                self.endRemoveRows()
        if self._pending:
            self._query(merge=self._pending_merge)  # the running query may still list the deleted articles


class _Latest:
    """The newest query's number, read by the worker to skip a superseded query."""

    __slots__ = ("generation",)

    def __init__(self) -> None:
        self.generation = 0


_ROLES = {
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.ForegroundRole,
}


def _italic() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


def _dim() -> Any:
    app = QGuiApplication.instance()
    palette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)


def _gone(col: Column, role: int) -> Any:
    if role == Qt.ItemDataRole.DisplayRole and col.key == "title":
        return "(no longer in the dataset)"
    if role == Qt.ItemDataRole.ForegroundRole:
        return _dim()
    return None
