"""View ▸ Claims: every claim of the dataset as a table, filtered, sorted, and opened at the claim.

A tab beside the library and the annotation panel. The table is a
``ClaimTableModel`` (span ids of one SQL query, rows read a screenful at a time);
above it, filters on the claimant (the entities that are claimants), the
verdict, the claim label, a date range (the claim's own date, or its article's)
and words of the claim or its claimant. Activating a row (double click or
Return) opens the article in the annotation panel with the claim selected and
scrolled into view.

The view follows the change channel: stored changes that add or remove claims,
or edit entities, run its query again; an edited claim is read again in place.
While the tab is not shown it only notes that it is stale, and refreshes when
shown. ``install_claims_view`` puts the tab, its action (View ▸ Claims) and its
wiring into the main window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import Changes
from app.core.db.store import STORE_ERRORS, Store
from app.core.entities import claims
from app.core.entities.claims import ClaimFilter, check_date
from app.core.settings import Settings
from app.widgets.claim_table_model import COLUMNS, ArticleIdRole, ClaimTableModel, SpanIdRole
from app.widgets.edits import EditGateway
from app.widgets.icons import icon
from app.widgets.panel_header import muted_label
from app.widgets.tasks import Task, run_task

if TYPE_CHECKING:
    from app.widgets.main_window import MainWindow

SHORTCUT = "Ctrl+Shift+C"
SEARCH_DELAY_MS = 250
CHOICES_DELAY_MS = 400  # after the last saved edit that touched claims or entities
_ANY = None  # the item data of "any" in each filter box


class ClaimsView(QWidget):
    claim_activated = Signal(int, int)  # article id, span id

    def __init__(self, store: Store, gateway: EditGateway, settings: Settings, parent: QWidget | None = None,
                 *, background: bool = True) -> None:
        super().__init__(parent)
        self.store, self.gateway, self.settings = store, gateway, settings
        self.model = ClaimTableModel(store, self, background=background)
        self._stale = True  # queried when first shown
        self._build_filters()
        self._build_table()
        self._build_layout()
        self._connect()

    # -- building ------------------------------------------------------------------------
    def _build_filters(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search claims and claimants…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.claimant = QComboBox()
        self.claimant.setToolTip("Only the claims of this claimant (an entity)")
        self.verdict = QComboBox()
        self.verdict.setToolTip("Only the claims with this verdict")
        self.label = QComboBox()
        self.label.setToolTip("Only the claims of this label")
        self.date_from, self.date_to = QLineEdit(), QLineEdit()
        for edit, word in ((self.date_from, "From"), (self.date_to, "To")):
            edit.setPlaceholderText(f"{word} YYYY-MM-DD")
            edit.setClearButtonEnabled(True)
            edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("From 0000-00-00") + 40)
            edit.setToolTip(f"{word} this date, inclusive: the claim's own date, or its article's publication date")
        self.count = muted_label()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        # The choices are read over every claim: once after a burst of edits, and off the GUI thread.
        self._choices_timer = QTimer(self)
        self._choices_timer.setSingleShot(True)
        self._choices_timer.setInterval(CHOICES_DELAY_MS)
        self._choices_timer.timeout.connect(self._refresh_choices)
        self._choices_task: Task | None = None

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = {"text": 470, "claimant": 250, "verdict": 95, "site": 190, "date": 95, "title": 320}
        for i, column in enumerate(COLUMNS):
            header.resizeSection(i, widths[column.key])
        header.setStretchLastSection(True)
        # The indicator first: turning sorting on sorts by it (as the model starts: by article).
        header.setSortIndicator(self.model.sort_column(), Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.empty = muted_label("No claims yet. Select a sentence in an article and press the key of the CLAIM "
                                 "label; its claimant, verdict and date show here.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)

    def _build_layout(self) -> None:
        filters = QHBoxLayout()
        filters.setSpacing(8)
        filters.addWidget(self.search, 3)
        for box in (self.claimant, self.verdict, self.label):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            filters.addWidget(box, 1)
        filters.addWidget(self.date_from)
        filters.addWidget(self.date_to)
        filters.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addLayout(filters)
        layout.addWidget(self.pages, 1)
        self.setFocusProxy(self.table)

    def _connect(self) -> None:
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self._search_timer.timeout.connect(self._apply_filter)
        for box in (self.claimant, self.verdict, self.label):
            box.activated.connect(self._apply_filter)
        for edit in (self.date_from, self.date_to):
            edit.editingFinished.connect(self._apply_filter)
        self.table.activated.connect(self._activate)
        self.model.query_finished.connect(self._show_count)
        self.model.modelReset.connect(self._show_count)
        self.gateway.changes_applied.connect(self._on_change)

    # -- filters ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the filter choices and run the query again."""
        self._stale = False
        try:
            in_use = claims.claimants_in_use(self.store)
            verdicts = list(dict.fromkeys([*self.settings.verdicts, *claims.verdicts_in_use(self.store)]))
            labels = claims.claim_labels(self.store)
        except STORE_ERRORS:
            in_use, verdicts, labels = [], [], []
        _fill(self.claimant, "Any claimant", [(f"{name} ({n:,})", entity_id) for entity_id, name, n in in_use])
        _fill(self.verdict, "Any verdict", [(v, v) for v in verdicts])
        _fill(self.label, "Any claim label", [(name, name) for name in labels])
        self.label.setVisible(len(labels) > 1)
        if not self._apply_filter():
            self.model.reload()

    def current_filter(self) -> ClaimFilter:
        dates = []
        for edit in (self.date_from, self.date_to):
            try:
                dates.append(check_date(edit.text()) or None)
                edit.setStyleSheet("")
            except ValueError as exc:
                dates.append(None)
                edit.setToolTip(str(exc))
                edit.setStyleSheet("QLineEdit { color: palette(link-visited); }")
        return ClaimFilter(claimant_id=self.claimant.currentData(), verdict=self.verdict.currentData(),
                           label=self.label.currentData(), date_from=dates[0], date_to=dates[1],
                           search=self.search.text().strip() or None)

    def _apply_filter(self) -> bool:
        """Show the claims of the filter as it is set; False when it did not change."""
        flt = self.current_filter()
        if flt == self.model.claim_filter:
            return False
        self.model.set_filter(flt)
        return True

    def _show_count(self) -> None:
        shown = self.model.rowCount()
        try:
            total = claims.count_claims(self.store) if self.model.claim_filter != ClaimFilter() else shown
        except STORE_ERRORS:
            total = shown
        self.count.setText(f"{shown:,} claim{'' if shown == 1 else 's'}" if shown == total
                           else f"{shown:,} of {total:,} claims")
        self.pages.setCurrentIndex(1 if total == 0 and not self.model.loading else 0)

    # -- rows ----------------------------------------------------------------------------------
    def _activate(self, index: QModelIndex) -> None:
        span_id, article_id = index.data(SpanIdRole), index.data(ArticleIdRole)
        if span_id is not None and article_id is not None:
            self.claim_activated.emit(int(article_id), int(span_id))

    def select_claim(self, span_id: int) -> bool:
        row = self.model.row_of(span_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # -- the change channel ------------------------------------------------------------------
    def _on_change(self, change: Changes, _initiator: object) -> None:
        if not change.saved:
            return
        if not self.isVisible():
            self._stale = True  # refreshed when next shown, not for every edit made meanwhile
            return
        # Claims come and go, or a claimant changed (its entity named in the record): the boxes' choices too.
        if self.model.apply_change(change) or change.entity_ids:
            self._choices_timer.start()

    def _refresh_choices(self) -> None:
        """The claimants and verdicts in use may have changed: keep the boxes' choices current."""
        if self._choices_task is not None:
            self._choices_timer.start()  # still reading: read again once that is done
            return
        store = self.store

        def read() -> tuple[list[tuple[int, str, int]], list[str]]:
            return claims.claimants_in_use(store), claims.verdicts_in_use(store)

        self._choices_task = run_task(read, on_done=self._show_choices, on_error=lambda _exc: None)
        self._choices_task.signals.finished.connect(self._choices_read)

    def _choices_read(self) -> None:
        self._choices_task = None

    def _show_choices(self, read: tuple[list[tuple[int, str, int]], list[str]]) -> None:
        in_use, in_verdicts = read
        verdicts = list(dict.fromkeys([*self.settings.verdicts, *in_verdicts]))
        _fill(self.claimant, "Any claimant", [(f"{name} ({n:,})", entity_id) for entity_id, name, n in in_use])
        _fill(self.verdict, "Any verdict", [(v, v) for v in verdicts])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self.refresh()


def _fill(box: QComboBox, any_text: str, items: list[tuple[str, object]]) -> None:
    """Give a filter box these choices after "any", keeping the one chosen when it is still offered."""
    chosen = box.currentData()
    box.blockSignals(True)
    box.clear()
    box.addItem(any_text, _ANY)
    for text, data in items:
        box.addItem(text, data)
    at = box.findData(chosen) if chosen is not None else 0
    box.setCurrentIndex(max(at, 0))
    box.blockSignals(False)


def open_claim(window: MainWindow, article_id: int, span_id: int) -> None:
    """Open the claim's article in the annotation panel with the claim selected and scrolled into view."""
    window.open_article(article_id)
    window.panes.annotation.select_span(span_id)


def install_claims_view(window: MainWindow) -> ClaimsView:
    """The Claims tab, View ▸ Claims (``SHORTCUT``) and their wiring, in ``window``."""
    view = ClaimsView(window.store, window.gateway, window.settings, window)
    view.setObjectName("claims_view")
    window.tabs.addTab(view, icon("label.claim"), "Claims")
    action = QAction(icon("label.claim"), "&Claims", window)
    action.setShortcut(QKeySequence(SHORTCUT))
    action.setToolTip("Every claim of the dataset, with its claimant, verdict and date")
    action.triggered.connect(lambda: show_claims(window, view))
    window.addAction(action)
    window.actions_by_id["show_claims"] = action
    view_menu = next((a.menu() for a in window.menuBar().actions() if a.text() == "&View"), None)
    if isinstance(view_menu, QMenu):
        entries = view_menu.actions()
        after = entries.index(window.actions_by_id["show_import"]) + 1
        if after < len(entries):
            view_menu.insertAction(entries[after], action)
        else:
            view_menu.addAction(action)
    view.claim_activated.connect(lambda article_id, span_id: open_claim(window, article_id, span_id))
    return view


def show_claims(window: MainWindow, view: ClaimsView) -> None:
    window.tabs.setCurrentWidget(view)
    view.table.setFocus()
