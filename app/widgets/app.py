"""Starting the desktop app: logging, QApplication, the error handler, the dataset, the main window."""

from __future__ import annotations

import gc
import importlib
import logging
import platform
import sys
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSize, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app import APP_ID, APP_NAME, __version__
from app.core.cancel import CancelToken
from app.core.changes import ChangeKind, Changes
from app.core.db.span_json import fill_missing
from app.core.db.store import (
    DATABASE_ERRORS,
    STORE_ERRORS,
    Store,
    StoreError,
    check_integrity,
    describe_db_error,
    open_store,
)
from app.core.paths import log_dir, resolve_dataset
from app.core.settings import load_settings, save_settings
from app.core.team.credentials import set_password_prompt
from app.core.team.identity import may_change_articles
from app.resources import resource_path, resources_root
from app.widgets.crash_dialog import ErrorReporter
from app.widgets.first_paint import FirstPaint
from app.widgets.main_window import MainWindow
from app.widgets.password_dialog import ask_password
from app.widgets.tasks import run_task

if TYPE_CHECKING:
    from app.core.quality.clustering import ReclusterReport

log = logging.getLogger(__name__)

EXIT_NO_DATASET = 1


def setup_logging() -> None:
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(folder / "article-curator.log", maxBytes=1_000_000,
                                                       backupCount=3, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def app_icon() -> QIcon:
    """The app's icon: the SVG, plus the PNG sizes when they are installed. Never fails."""
    icon = QIcon()
    try:
        icon.addFile(str(resource_path("icons", f"{APP_ID}.svg")))
    except FileNotFoundError as exc:
        log.warning("No app icon: %s", exc)
    try:
        hicolor = resources_root() / "icons" / "hicolor"
    except FileNotFoundError:
        return icon
    for png in hicolor.glob(f"*x*/apps/{APP_ID}.png"):  # whatever sizes make_icons.py rendered
        width, _, height = png.parent.parent.name.partition("x")
        if width.isdigit() and height.isdigit():
            icon.addFile(str(png), QSize(int(width), int(height)))
    return icon


def run_gui(db: str | None, quit_after: float | None = None) -> int:
    """Run the desktop app on ``db`` (or the last dataset); the exit status.

    ``quit_after`` closes the window and quits after that many seconds (the
    packaging smoke test). The exit status is 1 when no dataset could be opened.
    """
    # Starting allocates a great many objects that all live on: the cyclic garbage collector
    # would only scan them again and again. It rests until the window has painted (settle()).
    gc.disable()
    setup_logging()
    log.info("Article Curator %s starting (Python %s, %s)", __version__, platform.python_version(),
             platform.platform())
    return Application().run(db, quit_after)


class Application:
    """The running app: the QApplication, its error reporter and its one main window on one dataset."""

    def __init__(self) -> None:
        QCoreApplication.setOrganizationName("ArticleCurator")
        QCoreApplication.setApplicationName(APP_NAME)
        QCoreApplication.setApplicationVersion(__version__)
        # Wayland and the desktop entry match windows to the app (and its icon) by this name.
        QGuiApplication.setDesktopFileName(APP_ID)
        qapp = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(qapp, QApplication)
        self.qapp = qapp
        qapp.setWindowIcon(app_icon())
        self.settings = load_settings()
        self.window: MainWindow | None = None
        self.reporter = ErrorReporter(self.current_dataset, lambda: self.window, self.explain, qapp)
        self.reporter.install()
        set_password_prompt(ask_password)  # a team server's password, when the keyring lacks it

    def current_dataset(self) -> str:
        return self.window.store.where if self.window is not None else ""

    def explain(self, exc: BaseException) -> str | None:
        if isinstance(exc, DATABASE_ERRORS):  # not any OSError: an export file's, say, is not the dataset's
            return f"Reading or saving the dataset {self.current_dataset()} failed: {describe_db_error(exc)}."
        return None

    def run(self, db: str | None, quit_after: float | None) -> int:
        """Open ``db`` (or the last dataset) and run until the app quits; the exit status."""
        try:
            if not self.start(db or self.settings.last_dataset or None):
                return EXIT_NO_DATASET
            if quit_after is not None:
                # exit(), not closing the window: that would leave a second request to
                # quit queued behind this one. The window is closed below, as on any quit.
                QTimer.singleShot(int(quit_after * 1000), lambda: self.qapp.exit(0))
            return int(self.qapp.exec())
        finally:
            gc.enable()
            self.shut_down()

    @staticmethod
    def settle() -> None:
        """Once the window has painted: everything built so far lives as long as the app, so keep
        the cyclic garbage collector from re-scanning it (shorter pauses while scrolling), and let it run."""
        gc.freeze()
        gc.enable()

    def start(self, requested: str | None) -> bool:
        """A window on ``requested``, else on the default dataset; False (and why, said) when neither opens."""
        problem = self.open_and_show(requested)
        if problem is None:
            return True
        fallback_problem = None
        if resolve_dataset(requested) != resolve_dataset(None):
            fallback_problem = self.open_and_show(None)
        if fallback_problem is None and self.window is not None:
            QMessageBox.critical(self.window, "Article Curator", f"{problem}\n\nThe default dataset is opened instead.")
            return True
        text = problem if fallback_problem is None else f"{problem}\n\n{fallback_problem}"
        QMessageBox.critical(None, "Article Curator",
                             f"{text}\n\nArticle Curator cannot start without a dataset. If it is "
                             "open in another Article Curator window, carry on there; otherwise "
                             "start Article Curator on another dataset file (from a terminal: "
                             "article-curator --db FILE).")
        return False

    def open_and_show(self, location: str | None) -> str | None:
        """Open ``location`` in a new window; why not, when it cannot be."""
        try:
            store = open_store(location, exclusive=True)
        except StoreError as exc:
            return str(exc)
        try:
            self.show_window(store)
        except STORE_ERRORS as exc:
            return self.unreadable(store, exc)
        return None

    def show_window(self, store: Store) -> None:
        """A window on ``store``; raises STORE_ERRORS when the dataset cannot be read."""
        window = MainWindow(store, self.settings)
        self.settings.remember_dataset(store.location)
        save_settings(self.settings)
        window.dataset_switch_requested.connect(self.switch)
        self.window = window
        # The background work starts once the window shows its rows, not before.
        painted = FirstPaint(window).painted
        painted.connect(self.settle)
        painted.connect(lambda: self.check_in_background(window))
        painted.connect(_load_what_edits_need)
        window.show()

    def check_in_background(self, window: MainWindow) -> None:
        # Damage in the middle of a file only shows when those pages are read:
        # read them all once, off the GUI thread, and warn while work can still be saved.
        def report(problem: str | None) -> None:
            if problem and self.window is window:
                log.warning("%s", problem)
                QMessageBox.warning(window, "Damaged Dataset", problem)
            elif problem is None and self.window is window and not store.read_only:
                self.catch_up_in_background(window)

        store = window.store
        run_task(lambda cancel: check_integrity(store, cancel), report)

    def catch_up_in_background(self, window: MainWindow) -> None:
        """Build what a dataset from an older version lacks, off the GUI thread, one after the
        other (both write): the export's ready-made span lists, a little at a time, then the
        near-copy signatures and clusters, with progress in the status bar. Closing the window
        cancels it; what is not done is done the next time."""
        store, threshold = window.store, self.settings.near_copy_threshold

        def work(progress: Callable[..., None], cancel: CancelToken) -> ReclusterReport | None:
            # Loaded here, off the GUI thread and after the window is shown: near-copy
            # signing brings numpy and datasketch, a second or more to import.
            from app.core.quality.clustering import sign_and_cluster_missing

            try:
                fill_missing(store, cancel)
            except DATABASE_ERRORS as exc:
                log.warning("Span lists for the export were not built: %s", exc)
            if not may_change_articles(store):
                return None  # on a team server those who import sign the articles
            return sign_and_cluster_missing(store, threshold, progress, cancel)

        def progress(stage: str, done: int, total: int) -> None:
            if self.window is window:
                what = "signing articles" if stage == "signatures" else "clustering them"
                window.statusBar().showMessage(f"Finding near copies, {what}: {done:,} of {total:,}…", 10000)

        def done(report: ReclusterReport | None) -> None:
            if report is None or self.window is not window:
                return
            window.statusBar().showMessage(f"Near copies found: {report.clustered:,} articles in "
                                           f"{report.clusters:,} clusters.", 10000)
            window.gateway.publish(Changes(kinds=frozenset({ChangeKind.ARTICLES_ADDED})), self)

        run_task(work, done, on_error=lambda exc: log.warning("Near copies were not found: %s", exc),
                 on_progress=progress)

    @staticmethod
    def unreadable(store: Store, exc: BaseException) -> str:
        """Close a dataset whose window could not be built; why, for the user."""
        log.exception("Could not show the dataset %s", store.location)
        store.close()
        return f"{store.where} could not be read: {describe_db_error(exc)}."

    def switch(self, location: str) -> None:
        """File ▸ Open Dataset: the window on ``location`` replaces the current one."""
        old = self.window
        assert old is not None
        if resolve_dataset(location) == old.store.location:
            old.statusBar().showMessage(f"{old.store.where} is already open.", 5000)
            return
        try:
            new_store = open_store(location, exclusive=True)
        except StoreError as exc:
            QMessageBox.warning(old, "Open Dataset", str(exc))
            return
        # Closing the last window would end the app: keep quitting off while the
        # old window closes (it may refuse, e.g. during an import) and the new one opens.
        self.qapp.setQuitOnLastWindowClosed(False)
        try:
            if not old.close():
                new_store.close()
                return
            old_location = old.store.location
            old.store.close()
            old.deleteLater()
            try:
                self.show_window(new_store)
            except STORE_ERRORS as exc:
                why = self.unreadable(new_store, exc)
                failed_again = self.open_and_show(old_location)
                QMessageBox.warning(self.window if not failed_again else None, "Open Dataset", why)
                if failed_again:
                    self.qapp.quit()
        finally:
            self.qapp.setQuitOnLastWindowClosed(True)

    def shut_down(self) -> None:
        """Take the error reporter down and close the window and its dataset (which gives up its lock)."""
        self.reporter.uninstall()
        if self.reporter.dialog is not None:
            self.reporter.dialog.close()
        self.reporter.deleteLater()
        window = self.window
        if window is not None:
            if window.isVisible():
                window.close()  # saves the window's state and waits for background work
            window.store.close()  # gives up the dataset's lock


def _load_what_edits_need() -> None:
    """The first label key press must not wait for the validation library: load it now, off the GUI thread."""
    run_task(lambda: importlib.import_module("app.core.validation"))
