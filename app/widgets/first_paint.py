"""Saying when the window first shows the library's rows, for the start-up benchmark.

Off unless ``ARTICLE_CURATOR_REPORT_FIRST_PAINT=1``: then the app prints one line,
``first paint <seconds since the epoch> <CPU seconds of this process>``, once the library table has painted
rows (or the welcome view has painted, on an empty dataset). The wall clock is
used so that another process can subtract the moment it started this one; the CPU time
(every thread's) is what the start cost whatever else the machine was busy with.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.widgets.main_window import MainWindow

REPORT_ENV = "ARTICLE_CURATOR_REPORT_FIRST_PAINT"
LINE_PREFIX = "first paint "


def wanted() -> bool:
    return os.environ.get(REPORT_ENV, "") not in ("", "0")


class FirstPaintReporter(QObject):
    """Watches one widget's paints; prints the line after the first one that ``ready()`` accepts."""

    def __init__(self, watched: QWidget, ready: Callable[[], bool] = lambda: True) -> None:
        super().__init__(watched)
        self._watched = watched
        self._ready = ready
        self._done = False
        watched.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self._done and event.type() == QEvent.Type.Paint and self._ready():
            self._done = True
            self._watched.removeEventFilter(self)
            # Queued behind the paint itself, so the line comes once the rows are drawn.
            QTimer.singleShot(0, self._report)
        return False

    @staticmethod
    def _report() -> None:
        print(f"{LINE_PREFIX}{time.time():.6f} {time.process_time():.6f}", file=sys.stdout, flush=True)


def report_first_paint(window: MainWindow) -> FirstPaintReporter | None:
    """When asked for by the environment: print when ``window`` first shows the library's rows."""
    if not wanted():
        return None
    page = window.panes.library_page
    if page.shows_welcome:
        return FirstPaintReporter(page.welcome)
    table = window.panes.library.table
    return FirstPaintReporter(table.viewport(), lambda: table.model().rowCount() > 0)
