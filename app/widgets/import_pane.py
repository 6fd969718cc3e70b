"""The import pane: paste addresses or pick files, watch items arrive, look back at earlier runs.

The import itself is ``app.core.ingest.importer.import_sources`` run through
``run_task``. Its progress callback fires once per item on the worker thread and
arrives here as a queued signal; the slot only appends to a list, and a 100 ms
timer moves what has gathered into the table in one ``beginInsertRows``. That
keeps a 1,000-item feed from flooding the event loop while staying live.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.cancel import CancelToken
from app.core.db.store import Store
from app.core.ingest import import_log
from app.core.settings import Settings
from app.widgets.edits import EditGateway
from app.widgets.icons import icon
from app.widgets.import_items_model import ImportBatchesModel, ImportItemsModel
from app.widgets.palette import OUTCOME_COLORS
from app.widgets.tasks import Task, run_task

if TYPE_CHECKING:
    # The importer (fetching, extraction) is loaded by the first import, not with the window.
    from app.core.ingest.importer import ImportOptions, ImportReport, ItemOutcome, ProgressFn

FLUSH_MS = 100  # how often gathered outcomes reach the table
LIVE_IDS_S = 1.0  # how often, at most, the library hears about new articles during an import
HISTORY_LIMIT = 100
FILE_FILTER = "Articles (*.html *.htm *.txt *.md *.jsonl *.json);;All files (*)"


def import_options(settings: Settings) -> ImportOptions:
    """The importer's options from the user's settings."""
    from app.core.ingest.fetch_options import MB, FetchOptions
    from app.core.ingest.importer import ImportOptions

    fetch = FetchOptions(
        timeout=max(1.0, float(settings.fetch_timeout)),
        concurrency=max(1, int(settings.fetch_concurrency)),
        max_bytes=max(1, int(float(settings.fetch_max_mb) * MB)),
    )
    return ImportOptions(fetch=fetch, workers=max(0, int(settings.extract_workers)), annotator=settings.annotator,
                         near_copy_threshold=settings.near_copy_threshold)


def summary_text(imported: int, duplicates: int, failed: int, cancelled: int = 0) -> str:
    dup = "1 duplicate" if duplicates == 1 else f"{duplicates} duplicates"
    text = f"Imported {imported} · {dup} · {failed} failed"
    return text + f" · {cancelled} cancelled" if cancelled else text


def retry_text(failed: int, cancelled: int) -> str:
    """The retry button's label: what it will import again."""
    parts = [f"{failed} failed"] * bool(failed) + [f"{cancelled} cancelled"] * bool(cancelled)
    return f"Retry {', '.join(parts)}" if parts else "Retry failed"


def sources_from_text(text: str) -> list[str]:
    """One source per line; blank lines and ``#`` comments are skipped."""
    return [s for s in (line.strip() for line in text.splitlines()) if s and not s.startswith("#")]


class _MiddleElideDelegate(QStyledItemDelegate):
    """Elides in the middle: the host and the last path segment tell URLs apart, not what lies between."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class ImportPane(QWidget):
    """A dock's contents; new articles are announced through the gateway's ``changes_applied``."""

    import_finished = Signal(object)  # ImportReport
    article_activated = Signal(int)  # double-click on an imported item

    def __init__(self, store: Store, settings: Settings, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.gateway = gateway
        self._settings = settings
        self._task: Task | None = None
        self._pending: list[ItemOutcome] = []  # arrived, not yet in the table
        self._outcomes: list[ItemOutcome] = []  # everything of the running import
        self._new_ids: list[int] = []  # imported, not yet announced
        self._done_total = (0, 0)
        self._last_announce = 0.0
        self._from_box = False
        self._shown_batch: str | None = None
        self._last_dir = str(Path.home())

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)

        self.items_model = ImportItemsModel(self)
        self.batches_model = ImportBatchesModel(self)
        self._build()
        self.setFocusProxy(self.box)  # showing the pane puts the cursor where addresses go
        self.refresh_history()
        self._set_busy(False)

    # -- layout ----------------------------------------------------------------------
    def _build(self) -> None:
        self._build_address_box()
        buttons = self._build_buttons()
        progress_row = self._build_progress()
        self._build_items_view()
        self._build_history_view()
        history, retry_row = self._build_history_tab()
        self._build_tabs(history)
        controls = self._build_controls(buttons, progress_row, retry_row)
        self._build_splitter(controls)

    def _build_address_box(self) -> None:
        """The box for addresses, with the action that imports them from the keyboard."""
        self.box = QPlainTextEdit()
        self.box.setPlaceholderText("https://example.com/news/story.html\nhttps://example.com/feed.xml")
        self.box.setTabChangesFocus(True)
        self.box.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        self.box.setAccessibleName("Web addresses to import")
        # Alt+Return, not Ctrl+Return: that is the window's Mark Done and Next, which must work here too.
        self.import_action = QAction(icon("import"), "Import the Addresses", self)
        self.import_action.setShortcut(QKeySequence("Alt+Return"))
        self.import_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.import_action.setProperty("shortcut_scope", "in the import pane")  # for Help ▸ Keyboard Shortcuts
        self.import_action.triggered.connect(self._import_box)
        self.addAction(self.import_action)

    def _build_buttons(self) -> QHBoxLayout:
        """Import what the box holds, or pick files or a folder."""
        self.import_button = QPushButton(icon("import"), "Import")
        keys = self.import_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.import_button.setToolTip(f"Import the addresses above ({keys})")
        self.import_button.clicked.connect(self._import_box)
        self.files_button = QPushButton(icon("file"), "Add files…")
        self.files_button.setToolTip("Choose HTML, text or JSONL files and import them")
        self.files_button.clicked.connect(self._choose_files)
        self.folder_button = QPushButton(icon("folder"), "Add folder…")
        self.folder_button.setToolTip("Import every article file in a folder and its subfolders")
        self.folder_button.clicked.connect(self._choose_folder)
        buttons = QHBoxLayout()
        for b in (self.import_button, self.files_button, self.folder_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        return buttons

    def _build_progress(self) -> QHBoxLayout:
        """The progress bar beside Cancel, and the summary line under them."""
        self.progress = QProgressBar()
        # "%p%" rather than "%v of %m": QProgressBar repaints synchronously for every
        # change of its text, which with a count means every item (the summary line
        # under it gives the count).
        self.progress.setFormat("%p%")
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)

        self.summary = QLabel("Paste web addresses above, one per line, or add files or a folder.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return progress_row

    def _build_items_view(self) -> None:
        """The items of the shown import, one row each, filled as they arrive."""
        self.items_view = QTableView()
        self.items_view.setModel(self.items_model)
        self.items_view.setAccessibleName("Imported items")
        self._table_defaults(self.items_view)
        # Reasons elide in the middle too: their start says what failed and their end what to do.
        for column in (ImportItemsModel.SOURCE, ImportItemsModel.REASON):
            self.items_view.setItemDelegateForColumn(column, _MiddleElideDelegate(self.items_view))
        # Text columns share the width, so a dock of any width needs no sideways scrolling;
        # tooltips hold what is elided.
        header = self.items_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ImportItemsModel.OUTCOME, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(ImportItemsModel.OUTCOME, self.fontMetrics().horizontalAdvance("Duplicate") + 48)
        self.items_view.doubleClicked.connect(self._item_activated)

    def _build_history_view(self) -> None:
        """The earlier imports of the dataset, one row a run."""
        self.history_view = QTableView()
        self.history_view.setModel(self.batches_model)
        self.history_view.setAccessibleName("Earlier imports")
        self._table_defaults(self.history_view)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Narrow columns side by side: a stretched last column would push its count far right.
        hh = self.history_view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setStretchLastSection(False)
        self.history_view.setMinimumHeight(self.history_view.verticalHeader().defaultSectionSize() * 4)
        self.history_view.selectionModel().selectionChanged.connect(self._history_selected)

    def _build_history_tab(self) -> tuple[QWidget, QHBoxLayout]:
        """The page of earlier imports, and the row with Retry for the selected one."""
        self.history_empty = QLabel("No earlier imports in this dataset yet.")
        self.history_empty.setEnabled(False)
        self.retry_button = QPushButton(icon("retry"), "Retry failed")
        self.retry_button.setToolTip("Import the failed and cancelled items of the selected import again")
        self.retry_button.clicked.connect(self.retry_failed)
        self.history_view.doubleClicked.connect(lambda _index: self.tabs.setCurrentIndex(0))
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.addWidget(self.history_view)
        history_layout.addWidget(self.history_empty)
        retry_row = QHBoxLayout()
        retry_row.addWidget(self.retry_button)
        retry_row.addStretch(1)
        return history, retry_row

    def _build_tabs(self, history: QWidget) -> None:
        # The items get the width: the history is a tab beside them (a double-click on a run
        # shows its items), and Retry sits under the progress, where the outcome is read.
        self.tabs: QTabWidget = QTabWidget()  # declared: a lambda above refers to it
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.items_view, "Items")
        self.tabs.addTab(history, "Earlier imports")

    def _build_controls(self, buttons: QHBoxLayout, progress_row: QHBoxLayout,
                        retry_row: QHBoxLayout) -> QWidget:
        """What the user works with, in one column: the box, the buttons, the progress and Retry."""
        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.setContentsMargins(0, 0, 0, 0)
        controls_layout.addWidget(QLabel("Web addresses, feeds or sitemaps, one per line:"))
        controls_layout.addWidget(self.box)
        controls_layout.addLayout(buttons)
        controls_layout.addLayout(progress_row)
        controls_layout.addWidget(self.summary)
        controls_layout.addLayout(retry_row)
        controls_layout.addStretch(1)
        return controls

    def _build_splitter(self, controls: QWidget) -> None:
        # Side by side in a dock below the text (the default), stacked in a dock beside it:
        # set_orientation follows the dock.
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(controls)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)  # the items get what the window gives
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

    @staticmethod
    def _table_defaults(view: QTableView) -> None:
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setWordWrap(False)
        view.setAlternatingRowColors(True)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)

    # -- public API ------------------------------------------------------------------
    def set_orientation(self, orientation: Qt.Orientation) -> None:
        """Horizontal: controls, items and history side by side (a dock below or above the text)."""
        self.splitter.setOrientation(orientation)

    def is_busy(self) -> bool:
        return self._task is not None

    def start_import(self, sources: Sequence[str]) -> bool:
        """Import URLs, feeds, sitemaps, files or folders; False (with a message) when it cannot start.

        The main window calls this for files and addresses dropped on it.
        """
        sources = [str(s).strip() for s in sources if str(s).strip()]
        if self.is_busy():
            self._say("An import is already running; wait for it or cancel it first.", error=True)
            return False
        if not sources:
            self._say("Paste at least one web address, or add files or a folder.", error=True)
            return False
        from app.core.ingest.importer import import_sources

        store, options = self.store, import_options(self._settings)

        def work(progress: ProgressFn, cancel: CancelToken) -> ImportReport:  # runs on a worker thread
            return import_sources(store, sources, options, progress=progress, cancel=cancel)

        self._pending, self._outcomes, self._new_ids = [], [], []
        self._done_total = (0, 0)  # unknown until the core has expanded folders and feeds
        self._last_announce = time.monotonic()
        self._shown_batch = None
        self.history_view.clearSelection()
        self.items_model.clear()
        self.tabs.setCurrentIndex(0)
        self.progress.setRange(0, 0)  # busy until the first item: feeds and folders grow the total
        self._say(f"Importing {len(sources)} {'source' if len(sources) == 1 else 'sources'}…")
        self._task = run_task(work, self._on_done, self._on_error, self._on_progress)
        self._set_busy(True)
        self._flush_timer.start()
        return True

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")

    def refresh_history(self) -> None:
        self.batches_model.set_batches(import_log.recent_batches(self.store, HISTORY_LIMIT))
        empty = self.batches_model.rowCount() == 0
        self.history_empty.setVisible(empty)
        self._update_retry()

    def select_batch(self, batch: str) -> None:
        row = self.batches_model.row_of(batch)
        if row >= 0:
            self.history_view.selectRow(row)

    def retry_failed(self) -> None:
        batch = self._selected_batch()
        if batch is None:
            return
        sources = import_log.failed_sources(self.store, batch)
        if not sources:
            self._say("Nothing to retry: the failed or cancelled items were pasted text or files that no "
                      "longer exist.", error=True)
            return
        self.start_import(sources)

    # -- user actions ----------------------------------------------------------------
    def _import_box(self) -> None:
        if self.start_import(sources_from_text(self.box.toPlainText())):
            self._from_box = True

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import files", self._last_dir, FILE_FILTER)
        if files:
            self._last_dir = str(Path(files[0]).parent)
            self.start_import(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder", self._last_dir)
        if folder:
            self._last_dir = folder
            self.start_import([folder])

    def _item_activated(self, index: QModelIndex) -> None:
        article_id = index.data(ImportItemsModel.ArticleIdRole)
        if article_id is not None:
            self.article_activated.emit(int(article_id))

    # -- the running import ------------------------------------------------------------
    def _on_progress(self, done: int, total: int, _item: str, outcome: ItemOutcome | None) -> None:
        # Pure Python on purpose: this runs once per item, and the timer does the Qt work.
        self._done_total = (done, total)
        if outcome is not None:
            self._pending.append(outcome)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            view = self.items_view
            bar = view.verticalScrollBar()
            follow = bar.value() >= bar.maximum()  # keep following the end unless the user scrolled up
            self.items_model.append(pending)
            if follow:
                view.scrollToBottom()
            self._outcomes.extend(pending)
            self._new_ids.extend(o.article_id for o in pending if o.outcome == "imported" and o.article_id)
        done, total = self._done_total
        if total:
            self.progress.setRange(0, max(total, done))
            self.progress.setValue(done)
            if pending and self._task is not None and not self._task.cancel.cancelled:
                self._say(f"Importing… {done} of {max(total, done)} done")
        if self._new_ids and time.monotonic() - self._last_announce >= LIVE_IDS_S:
            self._announce()

    def _announce(self) -> None:
        from app.core.ingest.importer import imported_changes

        ids, self._new_ids = self._new_ids, []
        self._last_announce = time.monotonic()
        self.gateway.publish(imported_changes(ids), self)  # each id once; nothing when there are none

    def _finish(self) -> None:
        self._flush_timer.stop()
        self._flush()
        self._announce()
        self._task = None
        self._set_busy(False)

    def _on_done(self, report: ImportReport) -> None:
        self._finish()
        if report.outcomes:
            self.progress.setRange(0, len(report.outcomes))
            self.progress.setValue(len(report.outcomes))
        else:
            self.progress.setRange(0, 1)
            self.progress.reset()  # an empty bar, not "0 of 1"
        text = summary_text(report.imported, report.duplicates, len(report.failures), report.count("cancelled"))
        if near := len(report.near_copies):  # imported, and marked as copies of stored stories
            text += f" · {near} near cop{'y' if near == 1 else 'ies'}"
        if report.cancelled and not report.count("cancelled"):
            text += " · cancelled"
        if self._from_box and not report.cancelled:
            self.box.clear()  # done with; failures stay reachable through "Retry failed"
        self._from_box = False
        self._shown_batch = report.batch  # the table already shows it: selecting must not reload
        self.refresh_history()
        self.select_batch(report.batch)
        # After selecting: the history's own summary knows nothing of created labels or a cancel.
        self._say("\n".join([text, *report.label_notes(), *report.conversion_notes()]), error=False)
        self.gateway.publish(report.label_changes, self)  # the new articles were announced as they came
        self.import_finished.emit(report)

    def _on_error(self, exc: BaseException) -> None:
        # import_sources reports bad input per item; reaching here means the dataset itself failed.
        from app.core.ingest.importer import ImportReport

        cancelled = self._task is not None and self._task.cancel.cancelled
        self._finish()
        self.progress.setRange(0, 1)
        self.progress.reset()
        self._from_box = False
        self._say(f"The import stopped: {exc}", error=True)
        self.refresh_history()
        self.import_finished.emit(ImportReport(batch="", outcomes=list(self._outcomes), cancelled=cancelled))

    # -- history ---------------------------------------------------------------------
    def _selected_batch(self) -> str | None:
        rows = self.history_view.selectionModel().selectedRows()
        return self.batches_model.batch_at(rows[0].row()).batch if rows else None

    def _history_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_retry()
        batch = self._selected_batch()
        if batch is None or self.is_busy():
            return
        summary = self.batches_model.batch_at(self.batches_model.row_of(batch))
        self._say(summary_text(summary.imported, summary.duplicates, summary.failed, summary.cancelled))
        if batch != self._shown_batch:
            self._shown_batch = batch
            self.items_model.set_items(import_log.batch_items(self.store, batch))

    def _update_retry(self) -> None:
        batch = self._selected_batch()
        summary = None if batch is None else self.batches_model.batch_at(self.batches_model.row_of(batch))
        failed, cancelled = (summary.failed, summary.cancelled) if summary else (0, 0)
        self.retry_button.setEnabled(bool(failed or cancelled) and not self.is_busy())
        self.retry_button.setText(retry_text(failed, cancelled))

    # -- state -----------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        for w in (self.import_button, self.files_button, self.folder_button, self.history_view):
            w.setEnabled(not busy)
        self.box.setReadOnly(busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setEnabled(busy or self.progress.value() > 0)
        self._update_retry()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {OUTCOME_COLORS['failed']};" if error else "")
