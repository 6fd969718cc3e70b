"""Unexpected errors: logged with their traceback, shown in a dialog, and the app carries on.

``ErrorReporter.install()`` replaces ``sys.excepthook`` (which PySide6 calls for
an exception escaping a slot or a Qt virtual method, on any thread) and
``threading.excepthook``. Each error is logged at once and handed to the GUI
thread through a queued signal, so the dialog never opens inside the code that
failed, nor on a worker thread. A burst of errors fills one dialog.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.paths import log_dir

log = logging.getLogger(__name__)

MAX_REPORTS_SHOWN = 20  # later errors of a burst are counted and logged, not added to the text


def environment_summary(dataset: str) -> str:
    """The lines at the top of every report: versions, system, dataset, log folder."""
    import PySide6
    from PySide6.QtCore import qVersion

    return "\n".join([
        f"Article Curator {__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"PySide6 {PySide6.__version__}, Qt {qVersion()} ({QGuiApplication.platformName() or 'no platform'})",
        f"System: {platform.platform()}",
        f"Dataset: {dataset or '(none open)'}",
        f"Log folder: {log_dir()}",
    ])


class CrashDialog(QDialog):
    """"Something went wrong": what it means for the user, the report to copy, where the log is."""

    def __init__(self, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Something Went Wrong — Article Curator")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # An open report never keeps the app running once the main window is closed.
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self._summary = summary
        self._errors: list[str] = []
        self._count = 0

        top = self._build_header()
        self._build_report_view()
        log_row = self._build_log_row()
        bottom = self._build_buttons()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.report_view, 1)
        layout.addLayout(log_row)
        layout.addLayout(bottom)
        self.resize(760, 560)

    def _build_header(self) -> QHBoxLayout:
        """The warning icon beside the heading, the cause (when known) and what the error means for the user."""
        icon = QLabel(self)
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.heading = QLabel(self)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.explanation = QLabel(
            "Article Curator met an unexpected problem and kept running. Your work is safe: every edit "
            "is saved the moment you make it. If something on screen looks wrong, open the dataset "
            "again (File ▸ Open Dataset) or restart the app.\n\n"
            "To get the problem fixed, copy the report below and send it with a line on what you were doing.",
            self,
        )
        self.explanation.setWordWrap(True)
        self.cause = QLabel(self)  # what the error means, when it is known (a damaged dataset, say)
        self.cause.setWordWrap(True)
        self.cause.setTextFormat(Qt.TextFormat.PlainText)
        self.cause.hide()
        top = QHBoxLayout()
        top.addWidget(icon)
        text = QVBoxLayout()
        text.addWidget(self.heading)
        text.addWidget(self.cause)
        text.addWidget(self.explanation)
        top.addLayout(text, 1)
        return top

    def _build_report_view(self) -> None:
        """The report to copy: the environment, then each error's traceback."""
        self.report_view = QPlainTextEdit(self)
        self.report_view.setReadOnly(True)
        self.report_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.report_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report_view.setMinimumHeight(220)

    def _build_log_row(self) -> QHBoxLayout:
        """Where the log is, and a button that opens its folder."""
        folder = log_dir()
        self.log_label = QLabel(f"The log (with every error) is in {folder}", self)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setWordWrap(True)
        open_logs = QPushButton("Open Log Folder", self)
        open_logs.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        log_row = QHBoxLayout()
        log_row.addWidget(self.log_label, 1)
        log_row.addWidget(open_logs)
        return log_row

    def _build_buttons(self) -> QHBoxLayout:
        """Copy Report and Close, with the line that confirms a copy for a few seconds."""
        buttons = QDialogButtonBox(self)
        self.copy_button = buttons.addButton("Copy Report", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.copied_label = QLabel("", self)
        self._clear_copied = QTimer(self)  # a child: it goes with the dialog if that closes first
        self._clear_copied.setSingleShot(True)
        self._clear_copied.setInterval(4000)
        self._clear_copied.timeout.connect(self.copied_label.clear)

        bottom = QHBoxLayout()
        bottom.addWidget(self.copied_label, 1)
        bottom.addWidget(buttons)
        return bottom

    @property
    def error_count(self) -> int:
        return self._count

    def add_error(self, details: str, cause: str = "") -> None:
        """Add one error's traceback (with when it happened) to the report; ``cause`` explains it, if known."""
        self._count += 1
        if cause and self.cause.isHidden():
            self.cause.setText(cause)
            self.cause.show()
        if len(self._errors) < MAX_REPORTS_SHOWN:
            self._errors.append(f"--- {datetime.now().strftime('%H:%M:%S')} ---\n{details.rstrip()}")
        self.heading.setText("Something went wrong" if self._count == 1
                             else f"Something went wrong ({self._count} errors)")
        self.report_view.setPlainText(self.report())

    def report(self) -> str:
        parts = [self._summary, *self._errors]
        if self._count > len(self._errors):
            parts.append(f"... and {self._count - len(self._errors)} more errors like these (see the log).")
        return "\n\n".join(parts) + "\n"

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report())
        self.copied_label.setText("Report copied to the clipboard.")
        self._clear_copied.start()


class ErrorReporter(QObject):
    """The global handler of unexpected exceptions for the desktop app."""

    error_reported = Signal(str, str)  # a formatted traceback and its cause; queued to the GUI thread

    def __init__(self, dataset: Callable[[], str] = str, window: Callable[[], QWidget | None] = lambda: None,
                 explain: Callable[[BaseException], str | None] = lambda _exc: None,
                 parent: QObject | None = None) -> None:
        """``dataset`` and ``window`` give the open dataset and the dialog's parent when an error comes;
        ``explain`` turns an exception it knows (a failed read of the dataset) into a sentence."""
        super().__init__(parent)
        self._dataset = dataset
        self._window = window
        self._explain = explain
        self._dialog: CrashDialog | None = None
        self._previous: tuple[object, object] | None = None
        self._showing = False
        self.error_reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def dialog(self) -> CrashDialog | None:
        return self._dialog

    def install(self) -> None:
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.handle_exception
        threading.excepthook = self._handle_thread_exception

    def uninstall(self) -> None:
        if self._previous is None:
            return
        hook, thread_hook = self._previous
        if sys.excepthook == self.handle_exception:
            sys.excepthook = hook  # type: ignore[assignment]
        if threading.excepthook == self._handle_thread_exception:
            threading.excepthook = thread_hook  # type: ignore[assignment]
        self._previous = None

    def handle_exception(self, exc_type: type[BaseException], exc: BaseException,
                         tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("Unexpected error", exc_info=(exc_type, exc, tb))
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            cause = self._explain(exc) or ""
        except Exception:  # noqa: BLE001 - the traceback matters more than its explanation
            cause = ""
        try:
            self.error_reported.emit(details, cause)
        except RuntimeError:  # the reporter is gone (the app is shutting down)
            sys.__excepthook__(exc_type, exc, tb)

    def _handle_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a background thread"
        log.error("Unexpected error in %s", name)
        self.handle_exception(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    def _show(self, details: str, cause: str) -> None:
        if self._showing:  # an error while showing an error: the log has it, stop there
            return
        self._showing = True
        try:
            if self._dialog is None:
                dialog = CrashDialog(self._summary(), self._window())
                dialog.destroyed.connect(self._forget_dialog)
                self._dialog = dialog
                dialog.add_error(details, cause)
                dialog.show()
                dialog.raise_()
            else:
                self._dialog.add_error(details, cause)
        except Exception:  # never let the handler itself loop
            log.exception("Could not show the error report")
        finally:
            self._showing = False

    def _forget_dialog(self) -> None:
        self._dialog = None

    def _summary(self) -> str:
        try:
            dataset = self._dataset()
        except Exception:  # noqa: BLE001 - the window may be half gone
            dataset = ""
        try:
            return environment_summary(dataset)
        except Exception:  # noqa: BLE001 - a report without the details beats none
            return f"Article Curator {__version__}"
