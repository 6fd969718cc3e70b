"""The library: every article of the dataset in one table, with search, filters and bulk actions.

Searching, filtering and sorting are SQL queries run by ``ArticleTableModel`` on
a worker thread; this widget turns the controls into an ``ArticleFilter`` and
keeps the selection across new results. Edits go through the ``EditGateway``
and come back on its ``changes_applied``; the library acts on the saved stage,
since its rows are read from the dataset again: changed rows, new articles
(imports), and the label filter and columns when the label set changed.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store
from app.core.ops import library, span_edits
from app.core.ops.labels import list_labels
from app.core.ops.library import ArticleFilter
from app.core.ops.span_edits import STATUS_TEXT
from app.core.team import assignment
from app.core.team.identity import sees_every_layer
from app.widgets.article_table_model import ArticleTableModel
from app.widgets.edits import EditGateway
from app.widgets.filter_chips import FilterChips
from app.widgets.icons import icon
from app.widgets.near_copy_menu import add_near_copy_actions
from app.widgets.palette import label_icon, status_icon

SEARCH_DELAY_MS = 200
MAX_RESTORED_SELECTION = 2000  # rows re-selected after a new search; more is rarely wanted and slow


class LibraryActions(NamedTuple):
    open: QAction
    mark_new: QAction
    mark_in_progress: QAction
    mark_done: QAction
    mark_skipped: QAction
    delete: QAction


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


class LibraryView(QWidget):
    article_activated = Signal(int)
    current_article_changed = Signal(int)

    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.gateway = gateway
        self._total = 0
        # The selection and current article from before a new query, put back as its rows arrive.
        self._kept: tuple[list[int], int | None] | None = None
        self._select_first = False  # Down pressed in the search box: select the first result
        self._cluster_item = ""  # the label filter's entry for one story's near copies

        self._build_search()
        self._build_filters()
        self._build_count_label()
        self._build_table()
        self._build_layout()
        self._set_tab_order()
        self._connect_signals()
        self._count_total()
        self._update_count()

    # -- building ------------------------------------------------------------------------------
    def _build_search(self) -> None:
        """The search box; typing filters after a short pause, Return at once."""
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search titles and text")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._search_now)

    def _build_filters(self) -> None:
        """The status and label filters, applied as soon as they change."""
        self.status_filter = QComboBox(self)
        self.status_filter.setToolTip("Show articles with this status")
        self.status_filter.addItem("All statuses", None)
        for status, shown in STATUS_TEXT.items():
            self.status_filter.addItem(status_icon(status), shown, status)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)

        self.label_filter = QComboBox(self)
        self.label_filter.setToolTip("Show articles that have, or lack, spans of a label")
        self.label_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._fill_label_filter()
        self.label_filter.currentIndexChanged.connect(self._apply_filter)

        # Filters chosen elsewhere (a bar of the overview): shown while they filter, a click lifts one.
        self.chips = FilterChips(self)
        self.chips.changed.connect(self._apply_filter)

    def _build_count_label(self) -> None:
        """How many articles are shown and selected, wide enough that it never shifts the filters."""
        self.count_label = QLabel(self)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        widest = "100,000 of 100,000 articles · 9 selected"
        self.count_label.setMinimumWidth(self.fontMetrics().horizontalAdvance(widest))
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _build_table(self) -> None:
        """The article list, the line shown over it when it is empty, and its actions and context menu."""
        self.model = ArticleTableModel(self.store, self, background=True)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self._setup_table()

        self.empty_label = QLabel(self.table.viewport())
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)  # drawn in the palette's muted colour
        self.table.viewport().installEventFilter(self)

        self.library_actions = self._make_actions()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

    def _build_layout(self) -> None:
        """The search box and filters in a row above the list."""
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.status_filter)
        top.addWidget(self.label_filter)
        top.addWidget(self.chips)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def _set_tab_order(self) -> None:
        # The keyboard path of a mail client: the library's focus goes to the search box, Down (see
        # eventFilter) or Tab to the list, and only then Tab to the filters, where Down changes them.
        self.setFocusProxy(self.search)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list instead of walking its cells
        QWidget.setTabOrder(self.search, self.table)
        QWidget.setTabOrder(self.table, self.status_filter)
        QWidget.setTabOrder(self.status_filter, self.label_filter)

    def _connect_signals(self) -> None:
        """The model's queries, the list's selection and activation, then the gateway's changes."""
        self.model.query_started.connect(self._update_count)
        self.model.query_finished.connect(self._query_finished)
        self.model.query_failed.connect(self._query_failed)
        self.model.modelAboutToBeReset.connect(self._keep_selection)
        self.model.modelReset.connect(self._model_reset)
        self.model.rowsRemoved.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._update_count)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.table.activated.connect(self._activated)
        self.gateway.changes_applied.connect(self._changes_applied)

    def _setup_table(self) -> None:
        t = self.table
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setAlternatingRowColors(True)
        t.setShowGrid(False)
        t.setWordWrap(False)
        t.setTextElideMode(Qt.TextElideMode.ElideRight)
        t.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        t.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = t.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring at 100k rows
        rows.setDefaultSectionSize(t.fontMetrics().height() + 10)
        header = t.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicatorClearable(True)  # a third click goes back to import order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        self._size_columns()

    def _size_columns(self, keep_title: int | None = None) -> None:
        """Widths for every column; the Title takes the rest of the width.

        With ``keep_title`` (a label was added) the span count columns narrow, down to
        their count, rather than the Title: without that the Title gave up each new
        column's width, down to three characters, and the table scrolled sideways.
        """
        header = self.table.horizontalHeader()
        fm = self.table.fontMetrics()
        pad = 28  # cell margins plus the sort arrow
        # On a team server a reviewer's status cell also counts the annotators who finished.
        finished = " · 9 finished" if not self.store.is_sqlite and sees_every_layer(self.store) else ""
        widths = {
            "site": fm.horizontalAdvance("The Guardian") + pad,
            "published": fm.horizontalAdvance("2025-05-27") + pad,
            "status": max(fm.horizontalAdvance(shown + finished) for shown in STATUS_TEXT.values()) + 16 + pad,
            "updated": fm.horizontalAdvance("2025-05-27 14:03") + pad,
            "near": fm.horizontalAdvance("Near copies") + pad,
        }
        for col, spec in enumerate(self.model.columns):
            if spec.key == "title":
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
                continue
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            if spec.key == "label":  # room for the label's icon and name
                width = fm.horizontalAdvance(spec.header) + 16 + pad
                self.table.setColumnWidth(col, max(width, fm.horizontalAdvance("000") + pad))
            else:
                self.table.setColumnWidth(col, widths[spec.key])
        header.setMinimumSectionSize(fm.horizontalAdvance("000") + 12)
        if keep_title is not None:
            self._narrow_counts(self.table.viewport().width() - keep_title, fm.horizontalAdvance("0,000") + 12)

    def _narrow_counts(self, room: int, narrowest: int) -> None:
        """Fit every column but the Title into ``room`` pixels by narrowing the span count columns."""
        counts = [c for c, spec in enumerate(self.model.columns) if spec.key == "label"]
        others = sum(self.table.columnWidth(c) for c, spec in enumerate(self.model.columns)
                     if spec.key not in ("title", "label"))
        wanted = sum(self.table.columnWidth(c) for c in counts)
        if not counts or others + wanted <= room:
            return
        share = max(narrowest, (room - others) // len(counts))
        for col in counts:
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), share))

    def _fill_label_filter(self) -> None:
        previous = self.label_filter.currentData()
        self.label_filter.blockSignals(True)
        self.label_filter.clear()
        self.label_filter.addItem("Any labels", "")  # otherwise "has:NAME" or "lacks:NAME"
        labels = list_labels(self.store)
        for verb, key in (("Has", "has"), ("Lacks", "lacks")):
            self.label_filter.insertSeparator(self.label_filter.count())
            for lb in labels:
                icon = label_icon(lb.name, lb.kind, lb.color)
                self.label_filter.addItem(icon, f"{verb} {lb.name}", f"{key}:{lb.name}")
        self.label_filter.insertSeparator(self.label_filter.count())
        self.label_filter.addItem("With near copies", "near:")
        if assignment.has_assignments(self.store, self.gateway.own_name):
            self.label_filter.addItem("Assigned to me", "assigned:")
        if previous and previous.startswith("cluster:"):  # one story's copies, chosen from the context menu
            self.label_filter.addItem(self._cluster_item, previous)
        found = self.label_filter.findData(previous) if previous else 0
        self.label_filter.setCurrentIndex(max(found, 0))
        self.label_filter.blockSignals(False)

    def show_cluster(self, cluster_id: int, title: str) -> None:
        """Filter the library down to one story's near copies."""
        self._cluster_item = f"Near copies of “{title.strip() or 'untitled'}”"
        data = f"cluster:{cluster_id}"
        self.label_filter.blockSignals(True)
        found = self.label_filter.findData(data)
        if found < 0:
            self._fill_label_filter()
            self.label_filter.addItem(self._cluster_item, data)
            found = self.label_filter.count() - 1
        self.label_filter.blockSignals(False)
        self.label_filter.setCurrentIndex(found)

    def _make_actions(self) -> LibraryActions:
        def action(text: str, meaning: str | None, slot: object, shortcut: QKeySequence | None = None) -> QAction:
            act = QAction(text, self)
            if meaning:
                act.setIcon(icon(meaning) if not meaning.startswith("status.") else status_icon(meaning[7:]))
            if shortcut is not None:
                act.setShortcut(shortcut)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.table.addAction(act)
            act.triggered.connect(slot)
            return act

        return LibraryActions(
            open=action("Open", "annotate", self._open_current),
            mark_new=action("Mark New", "status.new", lambda: self.set_status("new")),
            mark_in_progress=action("Mark In progress", "status.in_progress", lambda: self.set_status("in_progress")),
            mark_done=action("Mark Done", "status.done", lambda: self.set_status("done")),
            mark_skipped=action("Mark Skipped", "status.skipped", lambda: self.set_status("skipped")),
            delete=action("Delete…", "delete", self.delete_selected, QKeySequence(QKeySequence.StandardKey.Delete)),
        )

    # -- public API ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read labels and run the current search again (after outside changes)."""
        self._fill_label_filter()
        self.model.set_filter(self.current_filter())  # the chosen label may be gone
        columns = self.model.columns
        title = self.table.columnWidth(next(c for c, spec in enumerate(columns) if spec.key == "title"))
        self.model.refresh()
        if self.model.columns != columns:  # a label was added, renamed or removed
            self._size_columns(keep_title=title if self.table.isVisible() else None)
        self._count_total()
        self._update_count()

    def articles_added(self) -> None:
        """An import stored new articles: add their rows without losing the selection."""
        self._count_total()
        self.model.articles_added()

    def select_article(self, article_id: int) -> bool:
        """Make ``article_id`` the current, selected and visible row; False if the filter hides it."""
        row = self.model.row_of(article_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows, top to bottom."""
        ids: list[int] = []
        ranges = sorted(self.table.selectionModel().selection(), key=lambda r: r.top())  # type: ignore[call-overload]
        for r in ranges:
            ids.extend(self.model.ids_in_rows(r.top(), r.bottom()))
        return list(dict.fromkeys(ids))

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.article_id(index.row()) if index.isValid() else None

    def neighbour_id(self, article_id: int, step: int) -> int | None:
        """The article ``step`` rows away in the current order and filter, None past either end."""
        return self.model.neighbour_id(article_id, step)

    def end_id(self, step: int) -> int | None:
        """The first article of the current order and filter (``step`` > 0) or the last; None when none shows."""
        return self.model.article_id(0 if step > 0 else self.model.rowCount() - 1)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def current_filter(self) -> ArticleFilter:
        statuses = (self.status_filter.currentData(),) if self.status_filter.currentData() else ()
        which, _, label = (self.label_filter.currentData() or "").partition(":")
        return ArticleFilter(
            statuses=statuses,
            query=self.search.text(),
            has_label=label if which == "has" else None,
            lacks_label=label if which == "lacks" else None,
            near_copies=which == "near",
            cluster=int(label) if which == "cluster" else None,
            assigned_to=self.gateway.own_name if which == "assigned" else None,
            **self.chips.fields(),  # type: ignore[arg-type]
        )

    def show_filter(self, flt: ArticleFilter) -> None:
        """Set the search and the filters to ``flt`` (its first status), as if chosen here, and list its articles."""
        status = flt.statuses[0] if flt.statuses else None
        label = f"has:{flt.has_label}" if flt.has_label else f"lacks:{flt.lacks_label}" if flt.lacks_label else ""
        for combo, data in ((self.status_filter, status), (self.label_filter, label)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(data), 0) if data else 0)
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(flt.query)
        self.search.blockSignals(False)
        self.chips.set_from(flt)
        self._apply_filter()

    # -- edits -------------------------------------------------------------------------------------
    def set_status(self, status: str) -> None:
        ids = self.selected_ids()
        if ids:
            self.gateway.set_status(ids, status, self)

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        spans = span_edits.count_spans(self.store, ids)
        what = _plural(len(ids), "article")
        if spans:
            their = "its" if len(ids) == 1 else "their"
            question = f"Delete {what} and {their} {_plural(spans, 'span')}? This cannot be undone."
        else:
            question = f"Delete {what}? This cannot be undone."
        answer = QMessageBox.question(
            self, "Delete articles", question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        first_row = self.model.row_of(ids[0])
        if self.gateway.delete_articles(ids, self) is not None and first_row is not None and self.model.rowCount():
            # Carry on where the deleted rows were.
            next_id = self.model.article_id(min(first_row, self.model.rowCount() - 1))
            if next_id is not None:
                self.select_article(next_id)

    # -- slots -------------------------------------------------------------------------------------
    def _search_now(self) -> None:
        self._search_timer.stop()
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.current_filter())

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if column >= 0 and self.model.column_sort(column) is None:
            # Span-count columns are not sortable: put the indicator back where the order is.
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            key, descending = self.model.sort_key
            header.setSortIndicator(
                self.model.sort_column(), Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            )
            header.blockSignals(False)
            return
        self.model.sort(column, order)

    def _changes_applied(self, changes: Changes, _initiator: object) -> None:
        if not changes.saved:
            return  # its rows are read from the dataset again: once it holds the change
        if changes.touches_labels():
            self.refresh()  # the label filter, the label columns and their counts
            return
        self.model.apply_change(changes)
        if changes.has(ChangeKind.ARTICLES_ADDED):
            self.articles_added()
        elif changes.has(ChangeKind.ARTICLES_DELETED):
            self._count_total()
            self._update_count()

    def _activated(self, index: QModelIndex) -> None:
        art_id = self.model.article_id(index.row())
        if art_id is not None:
            self.article_activated.emit(art_id)

    def _open_current(self) -> None:
        art_id = self.current_id()
        if art_id is not None:
            self.article_activated.emit(art_id)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        art_id = self.model.article_id(current.row()) if current.isValid() else None
        if art_id is not None:
            self.current_article_changed.emit(art_id)

    def _context_menu(self, pos: QPoint) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        a = self.library_actions
        menu = QMenu(self)
        menu.addAction(a.open)
        a.open.setEnabled(len(ids) == 1)
        menu.addSeparator()
        for act in (a.mark_new, a.mark_in_progress, a.mark_done, a.mark_skipped):
            menu.addAction(act)
        menu.addSeparator()
        add_near_copy_actions(menu, self, ids)
        menu.addSeparator()
        menu.addAction(a.delete)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _keep_selection(self) -> None:
        if self._kept is None:
            self._kept = (self.selected_ids()[:MAX_RESTORED_SELECTION], self.current_id())

    def _model_reset(self) -> None:
        self._restore_selection()
        if self._select_first and self.model.rowCount():
            self._select_first = False
            self.table.selectRow(0)

    def _query_finished(self) -> None:
        self._select_first = False
        self._restore_selection()
        self._update_count()

    def _restore_selection(self) -> None:
        if self._kept is None:
            return
        ids, current = self._kept
        if not self.model.is_loading:
            self._kept = None
        if not ids and current is None:
            return
        model, sel = self.model, self.table.selectionModel()
        selection = QItemSelection()
        for art_id in ids:
            row = model.row_of(art_id)
            if row is not None:
                selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        if not selection.isEmpty():
            sel.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        row = model.row_of(current) if current is not None else None
        if row is not None:
            sel.setCurrentIndex(model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)

    def _query_failed(self, message: str) -> None:
        self.count_label.setText("Search failed")
        self.count_label.setToolTip(message)

    def _count_total(self) -> None:
        self._total = library.count_articles(self.store)

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        if self.model.is_loading:
            text = "Searching…"
        elif self.model.article_filter == ArticleFilter() or shown == self._total:
            text = _plural(shown, "article")
        else:
            text = f"{shown:,} of {_plural(self._total, 'article')}"
        selected = len(self.selected_ids())
        if selected > 1:
            text += f" · {selected:,} selected"
        self.count_label.setText(text)
        self.count_label.setToolTip("")
        self._update_empty_state()

    def _update_empty_state(self) -> None:
        if self.model.rowCount() or self.model.is_loading:
            self.empty_label.hide()
            return
        if self._total == 0:
            self.empty_label.setText("No articles yet.\nImport some with File ▸ Import, or paste an article.")
        else:
            self.empty_label.setText("No articles match.\nChange the search or the filters to see more.")
        self.empty_label.resize(self.table.viewport().size())
        self.empty_label.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.empty_label.resize(self.table.viewport().size())
        elif watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key == Qt.Key.Key_Down:
                self._search_now()
                if self.model.is_loading:
                    self._select_first = True
                elif not self.table.selectionModel().hasSelection():
                    # The current row, else the first: focus alone would make a current row but leave it unselected.
                    self.table.selectRow(max(self.table.currentIndex().row(), 0))
                self.table.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
            if key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)
