"""Starting the desktop app: QApplication, the dataset, the main window."""

from __future__ import annotations

import gc
import logging
import sys
from logging.handlers import RotatingFileHandler

from app import APP_NAME, __version__
from app.core.paths import log_dir


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


def run_gui(db: str | None) -> int:
    setup_logging()
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.core.settings import load_settings, save_settings
    from app.core.store import StoreError, open_store
    from app.widgets.main_window import MainWindow

    QCoreApplication.setOrganizationName("ArticleCurator")
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    settings = load_settings()
    location = db or settings.last_dataset or None
    try:
        store = open_store(location)
    except StoreError as exc:
        QMessageBox.critical(None, "Article Curator", f"{exc}\n\nThe default dataset is opened instead.")
        store = open_store(None)
    holder: dict[str, MainWindow] = {}

    def show_window(current_store: object) -> None:
        settings.remember_dataset(current_store.location)  # type: ignore[attr-defined]
        save_settings(settings)
        window = MainWindow(current_store, settings)  # type: ignore[arg-type]
        window.dataset_switch_requested.connect(switch)
        holder["window"] = window
        window.show()

    def switch(location: str) -> None:
        try:
            new_store = open_store(location)
        except StoreError as exc:
            QMessageBox.warning(holder["window"], "Open Dataset", str(exc))
            return
        old = holder["window"]
        # Closing the last window would end the app: keep quitting off while the
        # old window closes (it may refuse, e.g. during an import) and the new one opens.
        qapp.setQuitOnLastWindowClosed(False)
        try:
            if not old.close():
                new_store.close()
                return
            old.store.close()
            old.deleteLater()
            show_window(new_store)
        finally:
            qapp.setQuitOnLastWindowClosed(True)

    show_window(store)
    # Everything built so far lives as long as the app: keep the cyclic garbage
    # collector from re-scanning it, which shortens its pauses while scrolling.
    gc.freeze()
    return int(qapp.exec())
