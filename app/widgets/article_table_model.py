"""The library's table of articles: the ids of one query, rows fetched a screenful at a time.

Like Anki's browser, the model keeps the ordered ids matching the current filter
and order, and fetches display rows in blocks of ``BLOCK`` on first ``data()``,
keeping the most recently used. Keyset pages with ``fetchMore`` were the
alternative; the id list wins because the scroll bar shows the true size and can
be dragged anywhere, the count is free, and an article's row (for edits,
selection, next/previous) is a dictionary lookup rather than a walk through pages.

Filtering and sorting happen in SQL (``library.list_article_ids``). At 100,000
articles a full id list can take a few hundred milliseconds, so with
``background=True`` a query runs on a worker thread in two steps: the first
``BLOCK`` ids (a LIMIT query, milliseconds) are shown at once, then the rest are
appended. Typing and scrolling never wait for either.

Edits arrive as ``Changes`` records: changed rows are refetched and repainted
in place (not re-sorted or re-filtered until the next query, so rows never jump
under the annotator, and next/previous keeps working); deleted rows are removed
exactly.
"""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QThreadPool, Signal
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QPalette

from app.core.cancel import CancelToken
from app.core.changes import ChangeKind, Changes
from app.core.db.store import STORE_ERRORS, Store, describe_db_error
from app.core.ops import library
from app.core.ops.labels import LabelInfo, list_labels
from app.core.ops.library import ArticleFilter, ArticleRow
from app.core.ops.span_edits import STATUS_TEXT
from app.widgets.palette import label_icon, status_icon
from app.widgets.tasks import Task, run_task

log = logging.getLogger(__name__)

ArticleIdRole = Qt.ItemDataRole.UserRole
BLOCK = 200  # rows fetched together: a few screens, one query of ~1-2 ms
MAX_CACHED_ROWS = 20 * BLOCK
MAX_EXACT_RANGES = 100  # more separate row ranges than this in one change: one coarse update instead


Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
# data() runs for every cell and role of every repaint: compare plain ints.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_ID = int(ArticleIdRole.value)


@dataclass(frozen=True)
class Column:
    key: str  # title, site, published, status, label, updated
    header: str
    sort: str | None  # a key of library.ID_SORTS or a label_sort(), None when the column cannot be sorted
    label: LabelInfo | None = None


# A cached row: (display texts formatted once per fetch, status, untitled, no site
# name, what tooltips need: title, url, published, updated_at, ((label, count), ...)).
# Plain tuples of atoms: the garbage collector stops tracking them, so scrolling
# through 100k rows (thousands of fetches) never makes its full collections slower.
_Shown = tuple[tuple[str, ...], str, bool, bool, tuple[Any, ...]]
# Positions in _Shown; Final, so that type checkers know the type of each item.
_TEXTS: Final = 0
_STATUS: Final = 1
_UNTITLED: Final = 2
_NO_SITE: Final = 3
_TIP: Final = 4
# A query's outcome: (generation, merge into the rows shown, ids, row of each id or None).
_Result = tuple[int, bool, list[int], dict[int, int] | None]


def pixmap_icon(source: QIcon) -> QIcon:
    """``source`` rendered once: qtawesome icons redraw their glyph on every paint."""
    out = QIcon()
    for size in (16, 20, 24, 32, 48):
        out.addPixmap(source.pixmap(size, size))
    return out


def _site(row: ArticleRow) -> str:
    if row.site_name:
        return row.site_name
    try:
        host = urlsplit(row.url).hostname if row.url else None
    except ValueError:  # a malformed address, kept as the import gave it
        host = None
    return (host or "").removeprefix("www.")


def _local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone()


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


def _dim() -> Any:
    app = QGuiApplication.instance()
    palette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)


class ArticleTableModel(QAbstractTableModel):
    query_started = Signal()
    query_finished = Signal()  # every row of the current filter and order is in place
    query_failed = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None, *, background: bool = False) -> None:
        super().__init__(parent)
        self._store = store
        self._filter = ArticleFilter()
        self._sort = "id"
        self._descending = False
        self._ids: list[int] = library.list_article_ids(store)
        self._row_of: dict[int, int] | None = None  # built on first need, dropped when rows move
        self._cache: OrderedDict[int, _Shown] = OrderedDict()
        self._missing: set[int] = set()  # ids deleted by someone else since the query
        self._unreadable = False  # the last block of rows could not be read (locked, damaged file)
        self._generation = 0
        self._pending = 0  # generation of the query still running, 0 when none
        self._pending_merge = False
        self._partial = False  # only the first rows of the running query are in
        self._task: Task | None = None
        self._pool: QThreadPool | None = None
        if background:
            # One worker of our own: queries run in order, a superseded one is skipped, and
            # an import busy on the global pool never delays a search.
            self._pool = QThreadPool(self)
            self._pool.setMaxThreadCount(1)
        self._status_icons = {s: pixmap_icon(status_icon(s)) for s in STATUS_TEXT}
        self._set_columns(list_labels(store))

    def _set_columns(self, labels: list[LabelInfo]) -> None:
        self._columns = [
            Column("title", "Title", "title"),
            Column("site", "Site", "site"),
            Column("published", "Date", "published"),
            Column("status", "Status", "status"),
            Column("near", "Near copies", "cluster"),
            *(Column("label", lb.name, library.label_sort(lb.name), lb) for lb in labels),
            Column("updated", "Last edited", "updated"),
        ]
        self._status_col = 3
        self._align = [Qt.AlignmentFlag.AlignCenter if c.key in ("label", "near") else None for c in self._columns]
        self._header_icons = [
            pixmap_icon(label_icon(c.label.name, c.label.kind, c.label.color)) if c.label else None
            for c in self._columns
        ]
        self._formatters: list[Callable[[ArticleRow], str]] = [_FORMAT.get(c.key) or _count(c) for c in self._columns]
        self._labels = labels

    # -- what the model shows -------------------------------------------------------------------
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
        return None if row is None else self.article_id(row + step)

    def _shown(self, row: int) -> _Shown | None:
        """The row as displayed, fetched with its block of rows if not cached."""
        if not 0 <= row < len(self._ids):
            return None
        art_id = self._ids[row]
        found = self._cache.get(art_id)
        if found is not None:
            self._cache.move_to_end(art_id)
            return found
        if art_id in self._missing:
            return None
        start = row - row % BLOCK
        wanted = [i for i in self._ids[start : start + BLOCK] if i not in self._cache and i not in self._missing]
        try:
            fetched = library.article_rows(self._store, wanted)
        except STORE_ERRORS as exc:
            # Painting asks again and again: log once, show a stand-in, try again on the next paint
            # (a lock goes away; a damaged file is reported by the window's integrity check).
            if not self._unreadable:
                log.warning("Library rows could not be read: %s", describe_db_error(exc))
            self._unreadable = True
            return None
        self._unreadable = False
        formatters = self._formatters
        for i in wanted:
            rec = fetched.get(i)
            if rec is None:
                self._missing.add(i)
            else:
                tip = (rec.title, rec.url, rec.published, rec.updated_at, tuple(rec.span_counts.items()))
                texts = tuple([f(rec) for f in formatters])
                self._cache[i] = (texts, rec.status, not rec.title.strip(), not rec.site_name, tip)
        while len(self._cache) > MAX_CACHED_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(art_id)

    def column_sort(self, column: int) -> str | None:
        return self._columns[column].sort if 0 <= column < len(self._columns) else None

    def sort_column(self) -> int:
        """The column of the current order, -1 for import order."""
        return next((i for i, c in enumerate(self._columns) if c.sort == self._sort), -1)

    # -- Qt model interface -----------------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        col = self._columns[section]
        if role == _DISPLAY:
            return col.header
        if role == _DECORATION:
            return self._header_icons[section]
        if role == _TOOLTIP:
            if col.label is not None:
                return f"Number of {col.label.name} spans in each article"
            if col.key == "near":
                return "Other articles of the same story (near copies); sorting puts them together"
            return None if col.sort is None else f"Sort by {col.header.lower()}"
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            # Dates are most useful newest first, span counts most first.
            most_first = col.key in ("published", "updated", "label")
            return Qt.SortOrder.DescendingOrder if most_first else Qt.SortOrder.AscendingOrder
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        if role == _DISPLAY:
            shown = self._shown(index.row())
            if shown is not None:
                return shown[_TEXTS][index.column()]
            if index.column() != 0 or index.row() >= len(self._ids):
                return None
            return "(cannot be read from the dataset)" if self._unreadable else "(no longer in the dataset)"
        if role == _DECORATION:
            if index.column() != self._status_col:
                return None
            shown = self._shown(index.row())
            return self._status_icons.get(shown[_STATUS]) if shown is not None else None
        if role == _ALIGN:
            return self._align[index.column()]
        if role in (_FONT, _FOREGROUND):
            # Stand-ins are dimmed: "(untitled)", and the URL's host for a missing site name.
            col = index.column()
            if col > 1:
                return None
            shown = self._shown(index.row())
            if shown is not None and not shown[_UNTITLED if col == 0 else _NO_SITE]:
                return None
            if role == _FOREGROUND:
                return _dim()
            if col == 1:
                return None
            font = QFont()
            font.setItalic(True)
            return font
        if role == _ID:
            return self.article_id(index.row())
        if role == _TOOLTIP:
            shown = self._shown(index.row())
            return _tooltip(self._columns[index.column()], *shown[_TIP]) if shown is not None else None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order by a sortable column; -1 (or a column that cannot be sorted) means import order."""
        key = self.column_sort(column) or "id"
        descending = order == Qt.SortOrder.DescendingOrder and key != "id"
        if (key, descending) != (self._sort, self._descending):
            self._sort, self._descending = key, descending
            self._query()

    # -- changing what is shown ---------------------------------------------------------------------
    def set_filter(self, flt: ArticleFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self._query()

    def refresh(self) -> None:
        """Re-read the labels and run the current query again (e.g. after outside changes)."""
        labels = list_labels(self._store)
        if labels != self._labels:
            self.beginResetModel()
            self._set_columns(labels)
            if self.sort_column() < 0:  # ordered by the count of a label renamed or deleted
                self._sort, self._descending = "id", False
            self._cache.clear()
            self.endResetModel()
        elif self._ids:
            self._cache.clear()
            self._missing.clear()
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self._columns) - 1))
        self._query(merge=True)

    def articles_added(self) -> None:
        """New articles were stored: insert their rows where the current order puts them."""
        self._query(merge=True)

    def apply_change(self, change: Changes) -> None:
        if change.has(ChangeKind.ARTICLES_DELETED):
            self._remove(change.article_ids)
        elif change.changes_article_rows():  # counts, status and the edit time of these articles
            self._forget_rows(change.article_ids)

    # -- queries ------------------------------------------------------------------------------------
    def _query(self, merge: bool = False) -> None:
        self._generation += 1
        generation = self._generation
        store, flt, sort, descending = self._store, self._filter, self._sort, self._descending
        if self._pool is None:
            ids = library.list_article_ids(store, flt, sort=sort, descending=descending)
            self._apply((generation, merge, ids, None))
            return
        self._pending, self._pending_merge = generation, merge
        self.query_started.emit()
        if self._task is not None:
            self._task.cancel.cancel()  # superseded: skipped if it has not started yet
        block = BLOCK

        def fetch(progress: Callable[..., None], cancel: CancelToken) -> _Result | None:
            if cancel.cancelled:
                return None
            if not merge:
                first = library.list_article_ids(store, flt, sort=sort, descending=descending, limit=block)
                progress(generation, first)
                if len(first) < block:
                    return generation, merge, first, {art_id: row for row, art_id in enumerate(first)}
                if cancel.cancelled:
                    return None
            ids = library.list_article_ids(store, flt, sort=sort, descending=descending)
            return generation, merge, ids, {art_id: row for row, art_id in enumerate(ids)}

        self._task = run_task(fetch, on_done=self._apply, on_error=self._failed, on_progress=self._first_rows,
                              pool=self._pool)

    def _first_rows(self, generation: int, ids: list[int]) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self._reset(ids, None)
        self._partial = True

    def _apply(self, result: _Result | None) -> None:
        if result is None or result[0] != self._generation:
            return
        _, merge, ids, row_of = result
        self._pending = 0
        if self._partial and ids[: len(self._ids)] == self._ids:
            self._append(ids, row_of)
        elif not ((merge or self._partial) and self._merge(ids)):
            self._reset(ids, row_of)
        self._partial = False
        self.query_finished.emit()

    def _failed(self, exc: BaseException) -> None:
        self._pending = 0
        self._partial = False
        log.warning("library query failed: %s", exc)
        self.query_failed.emit(str(getattr(exc, "orig", exc)).split("\n")[0])

    def _reset(self, ids: list[int], row_of: dict[int, int] | None) -> None:
        self.beginResetModel()
        self._ids = ids
        self._row_of = row_of
        self._missing.clear()
        self.endResetModel()

    def _append(self, ids: list[int], row_of: dict[int, int] | None) -> None:
        if len(ids) == len(self._ids):
            return
        self.beginInsertRows(_ROOT, len(self._ids), len(ids) - 1)
        self._ids = ids
        self._row_of = row_of
        self.endInsertRows()

    def _merge(self, new: list[int]) -> bool:
        """Insert the rows of new ids exactly; False when rows vanished or moved (reset instead)."""
        old = self._ids
        if new == old:
            return True
        known = set(old)
        if [i for i in new if i in known] != old:
            return False
        runs = _runs(pos for pos, art_id in enumerate(new) if art_id not in known)
        if len(runs) > MAX_EXACT_RANGES:
            return False
        for first, last in runs:  # top-down: every earlier run is in place, so positions are final
            self.beginInsertRows(_ROOT, first, last)
            self._ids[first:first] = new[first : last + 1]
            self._row_of = None
            self.endInsertRows()
        return True

    # -- edits ----------------------------------------------------------------------------------------
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
            self._reset([i for i in self._ids if i not in ids], None)
        else:
            for first, last in reversed(runs):  # bottom-up keeps the earlier rows' positions valid
                self.beginRemoveRows(_ROOT, first, last)
                del self._ids[first : last + 1]
                self._row_of = None
                self.endRemoveRows()
        if self._pending:
            self._query(merge=self._pending_merge)  # the running query may still list the deleted articles


def _count(col: Column) -> Callable[[ArticleRow], str]:
    name = col.label.name if col.label else ""

    def shown(row: ArticleRow) -> str:
        n = row.span_counts.get(name, 0)
        return f"{n:,}" if n else ""  # blank rather than a column of zeros

    return shown


def _status(row: ArticleRow) -> str:
    # On a team server a reviewer sees beside the review status how many annotators finished the article.
    shown = STATUS_TEXT.get(row.status, row.status)
    return f"{shown} · {row.finished} finished" if row.finished else shown


_FORMAT: dict[str, Callable[[ArticleRow], str]] = {
    "title": lambda r: r.title.strip() or "(untitled)",
    "site": _site,
    "published": lambda r: _date(r.published),
    "status": lambda r: _status(r),
    "updated": lambda r: _local(r.updated_at).strftime("%Y-%m-%d %H:%M"),
    "near": lambda r: f"{r.near_copies:,}" if r.near_copies else "",
}


def _tooltip(
    col: Column, title: str, url: str | None, published: str | None, updated_at: datetime,
    counts: tuple[tuple[str, int], ...],
) -> str | None:
    # Tooltips render anything that looks like markup, so user text is escaped into rich text.
    if col.key == "title":
        lines = [title.strip() or "(untitled)"] + ([url] if url else [])
        return "<p style='white-space:pre-wrap'>" + "<br>".join(html.escape(t) for t in lines) + "</p>"
    if col.key == "published" and published:
        return "<p>" + html.escape(published) + "</p>"
    if col.key == "updated":
        return "Last edited " + _local(updated_at).strftime("%Y-%m-%d %H:%M:%S")
    if col.key == "label" and col.label is not None:
        n = dict(counts).get(col.label.name, 0)
        return f"{n:,} {col.label.name} span{'' if n == 1 else 's'}"
    return None
