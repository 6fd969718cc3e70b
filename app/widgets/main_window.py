"""The main window: wires the library, the annotation panel and the import pane together.

It owns the shared actions (menus, toolbar, shortcuts) and nothing else: each
pane does its own work, edits go through the one ``EditGateway``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from app import __version__
from app.core.changes import ChangeKind, Changes
from app.core.db.store import DATABASE_ERRORS, Store, describe_db_error, read_only_message
from app.core.ops import library
from app.core.paths import config_dir, datasets_dir
from app.core.settings import Settings, save_settings
from app.core.team import assignment
from app.widgets.annotation_panel import AnnotationPanel
from app.widgets.claims_view import install_claims_view
from app.widgets.edits import EditGateway
from app.widgets.entities_view import install_entities_dock
from app.widgets.icons import icon
from app.widgets.import_pane import ImportPane
from app.widgets.library_view import LibraryView
from app.widgets.shortcuts_dialog import show_shortcuts
from app.widgets.suggestion_stats import SuggestionStats
from app.widgets.tasks import run_task, wait_for_all
from app.widgets.welcome_view import LibraryPage, WelcomeView

if TYPE_CHECKING:
    from app.widgets.agreement_view import AgreementView
    from app.widgets.live_updates import LiveUpdates
    from app.widgets.overview_view import OverviewView


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    shortcut: str | QKeySequence.StandardKey | None
    icon: str | None
    handler: Callable[[], object]
    tip: str = ""


WINDOW_STATE_VERSION = 1  # of the dock layout; 1: the import pane docks below the text
IMPORT_DOCK_HEIGHT = 260
EDITS_ON_CLOSE_WAIT_S = 15  # longer than the writer waits for a lock (BUSY_TIMEOUT_MS), so a write ends first


class _Panes(NamedTuple):
    library: LibraryView
    annotation: AnnotationPanel
    import_pane: ImportPane
    import_dock: QDockWidget
    welcome: WelcomeView
    library_page: LibraryPage  # the library, or the welcome view while the dataset is empty


class MainWindow(QMainWindow):
    dataset_switch_requested = Signal(str)

    def __init__(self, store: Store, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self.gateway = EditGateway(store, settings, self)  # who annotates follows the settings
        self.setWindowTitle(f"Article Curator — {self._dataset_name()}")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        library_view = LibraryView(store, self.gateway, self)
        annotation = AnnotationPanel(store, self.gateway, settings, self)
        import_pane = ImportPane(store, settings, self.gateway, self)
        dock = QDockWidget("Import", self)
        dock.setObjectName("import_dock")
        dock.setWidget(import_pane)
        # Below the text, so the article keeps the window's width; the user can move it.
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.dockLocationChanged.connect(self._import_dock_moved)
        welcome = WelcomeView(self)
        library_page = LibraryPage(store, library_view, welcome, self)
        self.panes = _Panes(library_view, annotation, import_pane, dock, welcome, library_page)
        self.overview: OverviewView | None = None  # View ▸ Overview makes it
        self.agreement: AgreementView | None = None  # View ▸ Agreement makes it

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(library_page, icon("library"), "Library")
        self.tabs.addTab(annotation, icon("annotate"), "Annotate")
        self.setCentralWidget(self.tabs)

        self.actions_by_id: dict[str, QAction] = {}
        self._build_actions()
        self._build_menus()
        self.entities_dock = install_entities_dock(self, store, self.gateway, self.open_mention)
        self.claims_view = install_claims_view(self)
        self.suggestion_stats = SuggestionStats(store, self.gateway, self)
        self.statusBar().addPermanentWidget(self.suggestion_stats)
        self._status = QLabel(self)
        self.statusBar().addPermanentWidget(self._status)
        self.live: LiveUpdates | None = None
        if not store.is_sqlite:  # on a team server: what others change, as it happens
            from app.widgets.live_updates import LiveUpdates

            self.live = LiveUpdates(self)

        annotation.key_hint.set_done_key(self.actions_by_id["done_next"].shortcut())
        welcome.import_urls_requested.connect(lambda: self.show_pane("import"))
        welcome.import_files_requested.connect(self.actions_by_id["import_files"].trigger)
        welcome.sample_requested.connect(self.open_sample_dataset)
        library_view.article_activated.connect(self.open_article)
        import_pane.article_activated.connect(self.open_article)
        self.gateway.changes_applied.connect(self._on_change)
        self.gateway.edit_failed.connect(lambda msg: self.statusBar().showMessage(msg, 10000))
        self._restore_state()
        self._update_status()
        if store.read_only:
            self._make_read_only()

    def _make_read_only(self) -> None:
        """A dataset on read-only media: read, search and export it; every editing control is off.

        The reason is shown once, beside the dataset's name in the status bar, for as
        long as the window is open; the edit gateway refuses edits without a word more.
        """
        self.setWindowTitle(f"{self.windowTitle()} (read-only)")
        for name in ("import_files", "done_next", "skip", "settings"):
            self.actions_by_id[name].setEnabled(False)
        lib = self.panes.library.library_actions
        for action in (lib.mark_new, lib.mark_in_progress, lib.mark_done, lib.mark_skipped, lib.delete):
            action.setEnabled(False)
        annotation = self.panes.annotation
        for widget in (annotation.label_bar, annotation.status_badge, annotation.claim_details,
                       self.panes.import_pane):
            widget.setEnabled(False)
        annotation.view.context_menu_requested.connect(_disable_added_entries)
        self.read_only_label = QLabel("Read-only: copy the dataset to edit it", self)
        self.read_only_label.setObjectName("read_only_reason")
        self.read_only_label.setToolTip(read_only_message(self.store.where))
        font = self.read_only_label.font()
        font.setBold(True)
        self.read_only_label.setFont(font)
        self.statusBar().insertPermanentWidget(0, self.read_only_label)

    # -- actions and menus ---------------------------------------------------------
    def _specs(self) -> list[ActionSpec]:
        K = QKeySequence.StandardKey  # noqa: N806 -- an alias of an enum class, named like one
        return [
            ActionSpec("new_dataset", "&New Dataset…", K.New, "dataset.new", self.new_dataset),
            ActionSpec("open_dataset", "&Open Dataset…", K.Open, "dataset.open", self.open_dataset),
            ActionSpec("import_files", "&Import Files…", "Ctrl+I", "import", self.import_files),
            ActionSpec("export", "&Export…", "Ctrl+E", "export", self.export),
            ActionSpec("quit", "&Quit", K.Quit, "quit", self.close),
            ActionSpec("settings", "&Settings…", K.Preferences if not QKeySequence(K.Preferences).isEmpty()
                       else "Ctrl+,", "settings", self.show_settings),
            ActionSpec("show_library", "&Library", "Ctrl+1", "library", lambda: self.show_pane("library")),
            ActionSpec("show_annotate", "&Annotate", "Ctrl+2", "annotate", lambda: self.show_pane("annotate")),
            ActionSpec("show_import", "&Import Pane", "Ctrl+3", "import", lambda: self.show_pane("import")),
            ActionSpec("show_overview", "&Overview", "Ctrl+4", "overview", self.show_overview,
                       "The dataset at a glance, in charts"),
            ActionSpec("show_agreement", "A&greement", "Ctrl+5", "agreement", self.show_agreement,
                       "How far the annotators agree, on the articles they both marked done"),
            ActionSpec("find", "&Search Library", K.Find, "search", self.focus_search),
            ActionSpec("done_next", "Mark &Done and Next", "Ctrl+Return", "done", self.mark_done_and_next,
                       "Mark this article done and open the next one"),
            ActionSpec("skip", "S&kip and Next", "Ctrl+Shift+Return", "skip", self.skip_and_next),
            ActionSpec("next", "&Next Article", "Alt+Right", "next", lambda: self.step_article(+1)),
            ActionSpec("previous", "&Previous Article", "Alt+Left", "previous", lambda: self.step_article(-1)),
            ActionSpec("shortcuts", "&Keyboard Shortcuts", K.HelpContents, "keys", lambda: show_shortcuts(self)),
            ActionSpec("show_key_hint", "Show &Label Keys Hint", None, "hint", self.show_key_hint,
                       "Show the hint of the label keys above the article again"),
            ActionSpec("open_sample", "Open the &Sample Dataset", None, "sample", self.open_sample_dataset,
                       "Open a small dataset of news articles, some already labelled, to try the app on"),
            ActionSpec("about", "&About Article Curator", None, "help", self.about),
        ]

    def _build_actions(self) -> None:
        for spec in self._specs():
            action = QAction(icon(spec.icon) if spec.icon else QAction().icon(), spec.text, self)
            if spec.shortcut is not None:
                action.setShortcut(QKeySequence(spec.shortcut))
            action.setToolTip(spec.tip or spec.text.replace("&", "").rstrip("…"))
            action.triggered.connect(spec.handler)
            self.actions_by_id[spec.id] = action
            self.addAction(action)  # shortcuts work whichever pane has focus
        stack = self.gateway.undo_stack
        undo = stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setIcon(icon("undo"))
        redo = stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        redo.setIcon(icon("redo"))
        self.actions_by_id["undo"] = undo
        self.actions_by_id["redo"] = redo

    def _build_menus(self) -> None:
        a = self.actions_by_id
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([a["new_dataset"], a["open_dataset"]])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        file_menu.addActions([a["import_files"], a["export"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([a["undo"], a["redo"]])
        edit_menu.addSeparator()
        edit_menu.addActions([a["find"], a["settings"]])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([a["show_library"], a["show_annotate"], a["show_import"], a["show_overview"],
                              a["show_agreement"]])
        view_menu.addSeparator()
        view_menu.addAction(self.panes.annotation.suggestions.show_action)
        view_menu.addAction(self.panes.annotation.review.toggle_action)
        self.addAction(self.panes.annotation.review.toggle_action)  # its key works whichever pane has focus
        article_menu = bar.addMenu("&Article")
        article_menu.addActions([a["done_next"], a["skip"], a["next"], a["previous"]])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([a["shortcuts"], a["show_key_hint"], a["open_sample"]])
        help_menu.addSeparator()
        help_menu.addAction(a["about"])

        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([a["import_files"], a["export"]])
        toolbar.addSeparator()
        toolbar.addActions([a["undo"], a["redo"]])
        toolbar.addSeparator()
        toolbar.addActions([a["previous"], a["done_next"], a["skip"], a["next"]])
        for compact in (a["undo"], a["redo"]):
            # Their text grows with the command ("Undo Edit claim details"): the tooltip says it.
            button = toolbar.widgetForAction(compact)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(toolbar)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for location in self.settings.recent_datasets:
            act = self.recent_menu.addAction(location)
            act.triggered.connect(lambda _=False, loc=location: self.switch_dataset(loc))
        self.recent_menu.setEnabled(bool(self.settings.recent_datasets))

    # -- navigation ------------------------------------------------------------------
    def show_pane(self, name: str) -> None:
        if name == "import":
            self.panes.import_dock.show()
            self.panes.import_dock.raise_()
            self.panes.import_pane.setFocus()
            return
        self.tabs.setCurrentIndex(0 if name == "library" else 1)
        (self.panes.library_page if name == "library" else self.panes.annotation).setFocus()

    def show_overview(self) -> None:
        """The dataset in charts, in a tab made on first use (the plotting library loads then)."""
        if self.overview is None:
            from app.widgets.overview_view import OverviewView

            self.overview = OverviewView(self.store, self.gateway, self)
            self.overview.filter_requested.connect(self._show_filtered)
            self.tabs.addTab(self.overview, icon("overview"), "Overview")
        self.tabs.setCurrentWidget(self.overview)

    def show_agreement(self) -> None:
        """The annotators' agreement, in a tab made on first use."""
        if self.agreement is None:
            from app.widgets.agreement_view import AgreementView

            self.agreement = AgreementView(self.store, self.gateway, self)
            self.agreement.article_activated.connect(self.open_article)
            self.tabs.addTab(self.agreement, icon("agreement"), "Agreement")
        self.tabs.setCurrentWidget(self.agreement)

    def _show_filtered(self, flt: library.ArticleFilter) -> None:
        self.panes.library.show_filter(flt)
        self.show_pane("library")

    def focus_search(self) -> None:
        self.show_pane("library")
        self.panes.library.focus_search()

    def open_article(self, article_id: int | None) -> None:
        self.panes.annotation.open_article(article_id)
        if article_id is not None:
            self.panes.library.select_article(article_id)
            self.tabs.setCurrentIndex(1)
            self.panes.annotation.setFocus()

    def open_mention(self, article_id: int, span_id: int) -> None:
        """Open an article at one of its spans (an entity's mention), selected and scrolled into view."""
        self.open_article(article_id)
        self.panes.annotation.select_span(span_id)

    def step_article(self, step: int) -> bool:
        current = self.panes.annotation.current_article_id
        if current is None:  # nothing open yet: start at the list's first article (backwards: its last)
            target = self.panes.library.end_id(step)
        else:
            target = self.panes.library.neighbour_id(current, step)
        if target is None:
            self.statusBar().showMessage("No more articles in this direction.", 4000)
            return False
        self.open_article(target)
        return True

    def _finish_and_next(self, status: str) -> None:
        current = self.panes.annotation.current_article_id
        if current is None:
            return
        # Find the neighbour first: a status filter may hide the article once it changes. An annotator
        # with a queue goes on to their next assigned article instead.
        queued = assignment.has_assignments(self.store, self.gateway.own_name)
        if queued:
            target = assignment.next_assigned(self.store, self.gateway.own_name, after=current)
        else:
            target = self.panes.library.neighbour_id(current, +1)
        # Skipping is for work left to do: a done article stays done (a slip of Shift must not undo it).
        # The gateway's status counts a Done still on its way to the dataset.
        kept_done = status == "skipped" and self.gateway.status_of(current) == "done"
        shown = self.panes.annotation.article()
        title = (shown.title if shown is not None else "") or "(untitled)"
        if not kept_done and self.gateway.set_status([current], status) is None:
            return
        if target is None and not queued:
            target = self._first_unfinished(exclude=current)  # at the end of the list: wrap around
        if target is not None:
            self.open_article(target)
        said = []
        if kept_done:
            said.append(f"“{title}” is done, so it stays done (not skipped).")
        if target is None:
            said.append("Every article assigned to you is done or skipped." if queued
                        else "Every article is done or skipped.")
        if said:
            self.statusBar().showMessage(" ".join(said), 8000)

    def _first_unfinished(self, exclude: int) -> int | None:
        rows = library.list_articles(self.store, library.ArticleFilter(statuses=("new", "in_progress")), limit=2)
        return next((r.id for r in rows if r.id != exclude), None)

    def mark_done_and_next(self) -> None:
        self._finish_and_next("done")

    def skip_and_next(self) -> None:
        self._finish_and_next("skipped")

    def _on_change(self, change: Changes, _initiator: object) -> None:
        """The status bar's counts and the welcome page follow the dataset: act once a change is stored."""
        if not change.saved:
            return
        if change.has(ChangeKind.STATUS_CHANGED, ChangeKind.ARTICLES_ADDED, ChangeKind.ARTICLES_DELETED):
            self._update_status()
        if change.has(ChangeKind.ARTICLES_DELETED) or (
                change.has(ChangeKind.ARTICLES_ADDED) and self.panes.library_page.shows_welcome):
            self.panes.library_page.update_page()  # the first one in, or the last one gone: welcome again
        current = self.panes.annotation.current_article_id
        if change.has(ChangeKind.ARTICLES_DELETED) and current is not None and change.touches_article(current):
            self.panes.annotation.open_article(None)

    def _update_status(self) -> None:
        counts = library.status_counts(self.store)
        total = sum(counts.values())
        self._status.setText(f"{total:,} articles · {counts.get('done', 0):,} done · {self.store.where}")

    # -- datasets, import, export, settings ---------------------------------------------
    def _dataset_name(self) -> str:
        return self.store.path.name if self.store.path else self.store.location

    def new_dataset(self) -> None:
        suggested = self._datasets_folder() / "dataset.curator.sqlite"
        path, _ = QFileDialog.getSaveFileName(self, "New Dataset", str(suggested), "Datasets (*.sqlite *.db)")
        if path:
            if Path(path).exists():
                QMessageBox.warning(self, "New Dataset", f"{path} already exists; use Open Dataset to open it.")
                return
            self.switch_dataset(path)

    def open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Dataset", str(self._datasets_folder()),
                                              "Datasets (*.sqlite *.db);;All files (*)")
        if path:
            self.switch_dataset(path)

    @staticmethod
    def _datasets_folder() -> Path:
        """Where the dataset dialogs start: beside the default and sample datasets, once there are any."""
        folder = datasets_dir()
        return folder if folder.is_dir() else Path.home()

    def switch_dataset(self, location: str) -> None:
        self.dataset_switch_requested.emit(location)

    def open_sample_dataset(self) -> None:
        """Make the sample dataset on first use (in the background), then switch to it."""
        from app.core.ingest.sample_dataset import create_sample_dataset

        self.panes.welcome.set_sample_busy(True)
        self.actions_by_id["open_sample"].setEnabled(False)
        self.statusBar().showMessage("Preparing the sample dataset…")
        run_task(create_sample_dataset, self._sample_ready, self._sample_failed)

    def _sample_ready(self, path: Path) -> None:
        self._sample_finished()
        if self.store.path is not None and self.store.path.resolve() == path.resolve():
            # Already open (perhaps emptied and just filled again): show what it holds now.
            from app.core.ingest.sample_dataset import sample_dataset_changes

            self.gateway.publish(sample_dataset_changes(), self)
            self.show_pane("library")
            return
        self.switch_dataset(str(path))

    def _sample_failed(self, exc: BaseException) -> None:
        self._sample_finished()
        # The core's own errors are sentences; a database error is turned into one.
        reason = describe_db_error(exc) if isinstance(exc, DATABASE_ERRORS) else str(exc)
        QMessageBox.warning(self, "Open the Sample Dataset", f"The sample dataset could not be opened.\n\n{reason}")

    def _sample_finished(self) -> None:
        self.panes.welcome.set_sample_busy(False)
        self.actions_by_id["open_sample"].setEnabled(True)
        self.statusBar().clearMessage()

    def show_key_hint(self) -> None:
        self.panes.annotation.key_hint.show_again()
        self.show_pane("annotate")

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import Files", str(Path.home()),
                                                "Articles (*.html *.htm *.txt *.md *.jsonl *.json);;All files (*)")
        if paths:
            self.show_pane("import")
            self.panes.import_pane.start_import(paths)

    def export(self) -> None:
        from app.widgets.export_dialog import ExportDialog

        ExportDialog(self.store, self.settings, self).exec()

    def show_settings(self) -> None:
        from app.widgets.settings_dialog import SettingsDialog

        SettingsDialog(self.store, self.settings, self.gateway, self).exec()

    def about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About Article Curator")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Article Curator {__version__}\n\nDataset: {self.store.location}")
        box.exec()

    # -- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt naming)
        if self.store.read_only:
            return  # nothing can be imported into it
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        sources = dropped_sources(event.mimeData().urls(), event.mimeData().text())
        if sources:
            self.show_pane("import")
            self.panes.import_pane.start_import(sources)
            event.acceptProposedAction()

    def _import_dock_moved(self, area: Qt.DockWidgetArea) -> None:
        beside = area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        self.panes.import_pane.set_orientation(Qt.Orientation.Vertical if beside else Qt.Orientation.Horizontal)

    # -- window state ----------------------------------------------------------------------
    def _qsettings(self) -> QSettings:
        # Beside settings.json in the config folder (so ARTICLE_CURATOR_HOME moves it
        # too), not in Qt's own per-platform place.
        return QSettings(str(config_dir() / "window-state.ini"), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        qs = self._qsettings()
        geometry = qs.value("main_window/geometry")
        state = qs.value("main_window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        self.resizeDocks([self.panes.import_dock], [IMPORT_DOCK_HEIGHT], Qt.Orientation.Vertical)
        if isinstance(state, QByteArray):
            # A layout saved before the import pane moved below the text (version 0) is not restored.
            self.restoreState(state, WINDOW_STATE_VERSION)
        last = qs.value(f"last_article/{self.store.location}")
        if last is not None and library.get_article(self.store, int(last)) is not None:
            self.open_article(int(last))

    def save_state(self) -> None:
        qs = self._qsettings()
        qs.setValue("main_window/geometry", self.saveGeometry())
        qs.setValue("main_window/state", self.saveState(WINDOW_STATE_VERSION))
        current = self.panes.annotation.current_article_id
        if current is not None:
            qs.setValue(f"last_article/{self.store.location}", current)
        qs.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.panes.import_pane.is_busy():
            answer = QMessageBox.question(self, "Import running",
                                          "An import is still running. Stop it and quit? Finished articles are kept.")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.panes.import_pane.cancel()
        # A field still being typed in (a claim's note or claimant) finishes now, so its edit is stored
        # with the rest instead of arriving after the writer is closed.
        focused = QApplication.focusWidget()
        if focused is not None and self.panes.annotation.claim_details.isAncestorOf(focused):
            focused.clearFocus()
        if not self._edits_saved_or_given_up():
            event.ignore()
            return
        self.save_state()
        save_settings(self.settings)
        self.gateway.rebuild_export_lists_now()
        self.panes.annotation.suggestions.close()
        if self.live is not None:
            self.live.close()
        self.gateway.close()
        wait_for_all(10000)
        super().closeEvent(event)


    def _edits_saved_or_given_up(self) -> bool:
        """Store the edits still queued; if one cannot be stored, say so and let the annotator stay."""
        failed_before = self.gateway.failed_writes
        stored = self.gateway.wait_until_saved(EDITS_ON_CLOSE_WAIT_S)
        if stored and self.gateway.failed_writes == failed_before:
            return True
        problem = self.gateway.last_failure if self.gateway.failed_writes > failed_before else (
            f"The dataset {self.store.where} is still locked by another program.")
        answer = QMessageBox.warning(
            self, "Edits Not Saved",
            f"Your latest edits could not be saved. {problem}\n\nStay to try them again once that is resolved, "
            "or close and lose them?",
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Close


def _disable_added_entries(menu: QMenu) -> None:
    """Grey out what the annotation panel added to the text's menu (labelling, deleting a span).

    Qt's own entries (Copy, Select All) have object names; the panel's have none.
    """
    for action in menu.actions():
        if not action.isSeparator() and not action.objectName():
            action.setEnabled(False)


def dropped_sources(urls: list[QUrl], text: str) -> list[str]:
    """Files, folders and web addresses from a drop, in order, without repeats."""
    found: list[str] = []
    for url in urls:
        value = url.toLocalFile() if url.isLocalFile() else url.toString()
        if value and value not in found:
            found.append(value)
    if not found and text:
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(("http://", "https://")) and line not in found:
                found.append(line)
    return found
