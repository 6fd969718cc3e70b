"""Starting the desktop app: logging, QApplication, the error handler, the dataset, the main window."""

from __future__ import annotations

import gc
import logging
import platform
import sys
from logging.handlers import RotatingFileHandler
from typing import TYPE_CHECKING

from app import APP_ID, APP_NAME, __version__
from app.core.paths import log_dir

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from app.core.db.store import Store

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
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    from app.resources import resource_path, resources_root

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
    setup_logging()
    log.info("Article Curator %s starting (Python %s, %s)", __version__, platform.python_version(),
             platform.platform())
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.core.db.span_json import fill_missing
    from app.core.db.store import (
        DATABASE_ERRORS,
        STORE_ERRORS,
        StoreError,
        check_integrity,
        describe_db_error,
        open_store,
    )
    from app.core.paths import resolve_dataset
    from app.core.settings import load_settings, save_settings
    from app.widgets.crash_dialog import ErrorReporter
    from app.widgets.main_window import MainWindow
    from app.widgets.tasks import run_task

    QCoreApplication.setOrganizationName("ArticleCurator")
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    # Wayland and the desktop entry match windows to the app (and its icon) by this name.
    QGuiApplication.setDesktopFileName(APP_ID)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setWindowIcon(app_icon())
    settings = load_settings()
    holder: dict[str, MainWindow] = {}

    def current_dataset() -> str:
        window = holder.get("window")
        return window.store.where if window is not None else ""

    def explain(exc: BaseException) -> str | None:
        if isinstance(exc, DATABASE_ERRORS):  # not any OSError: an export file's, say, is not the dataset's
            return f"Reading or saving the dataset {current_dataset()} failed: {describe_db_error(exc)}."
        return None

    reporter = ErrorReporter(current_dataset, lambda: holder.get("window"), explain, qapp)
    reporter.install()

    def show_window(store: Store) -> None:
        """A window on ``store``; raises STORE_ERRORS when the dataset cannot be read."""
        window = MainWindow(store, settings)
        settings.remember_dataset(store.location)
        save_settings(settings)
        window.dataset_switch_requested.connect(switch)
        holder["window"] = window
        window.show()
        check_in_background(window)

    def check_in_background(window: MainWindow) -> None:
        # Damage in the middle of a file only shows when those pages are read:
        # read them all once, off the GUI thread, and warn while work can still be saved.
        def report(problem: str | None) -> None:
            if problem and holder.get("window") is window:
                log.warning("%s", problem)
                QMessageBox.warning(window, "Damaged Dataset", problem)
            elif problem is None and holder.get("window") is window and not store.read_only:
                # A sound dataset: build the export's ready-made span lists it lacks
                # (a dataset from an older version), a little at a time.
                run_task(lambda cancel: fill_missing(store, cancel), on_error=lambda exc: log.warning(
                    "Span lists for the export were not built: %s", exc))

        store = window.store
        run_task(lambda cancel: check_integrity(store, cancel), report)

    def unreadable(store: Store, exc: BaseException) -> str:
        """Close a dataset whose window could not be built; why, for the user."""
        log.exception("Could not show the dataset %s", store.location)
        store.close()
        return f"{store.where} could not be read: {describe_db_error(exc)}."

    def open_and_show(location: str | None) -> str | None:
        """Open ``location`` in a new window; why not, when it cannot be."""
        try:
            store = open_store(location, exclusive=True)
        except StoreError as exc:
            return str(exc)
        try:
            show_window(store)
        except STORE_ERRORS as exc:
            return unreadable(store, exc)
        return None

    def switch(location: str) -> None:
        old = holder["window"]
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
        qapp.setQuitOnLastWindowClosed(False)
        try:
            if not old.close():
                new_store.close()
                return
            old_location = old.store.location
            old.store.close()
            old.deleteLater()
            try:
                show_window(new_store)
            except STORE_ERRORS as exc:
                why = unreadable(new_store, exc)
                failed_again = open_and_show(old_location)
                QMessageBox.warning(holder.get("window") if not failed_again else None, "Open Dataset", why)
                if failed_again:
                    qapp.quit()
        finally:
            qapp.setQuitOnLastWindowClosed(True)

    try:
        requested = db or settings.last_dataset or None
        problem = open_and_show(requested)
        if problem is not None:
            fallback_problem = None
            if resolve_dataset(requested) != resolve_dataset(None):
                fallback_problem = open_and_show(None)
            if fallback_problem is None and "window" in holder:
                QMessageBox.critical(holder["window"], "Article Curator",
                                     f"{problem}\n\nThe default dataset is opened instead.")
            else:
                text = problem if fallback_problem is None else f"{problem}\n\n{fallback_problem}"
                QMessageBox.critical(None, "Article Curator",
                                     f"{text}\n\nArticle Curator cannot start without a dataset. If it is "
                                     "open in another Article Curator window, carry on there; otherwise "
                                     "start Article Curator on another dataset file (from a terminal: "
                                     "article-curator --db FILE).")
                return EXIT_NO_DATASET
        if quit_after is not None:
            # exit(), not closing the window: that would leave a second request to
            # quit queued behind this one. The window is closed below, as on any quit.
            QTimer.singleShot(int(quit_after * 1000), lambda: qapp.exit(0))
        # Everything built so far lives as long as the app: keep the cyclic garbage
        # collector from re-scanning it, which shortens its pauses while scrolling.
        gc.freeze()
        return int(qapp.exec())
    finally:
        reporter.uninstall()
        if reporter.dialog is not None:
            reporter.dialog.close()
        reporter.deleteLater()
        window = holder.get("window")
        if window is not None:
            if window.isVisible():
                window.close()  # saves the window's state and waits for background work
            window.store.close()  # gives up the dataset's lock
