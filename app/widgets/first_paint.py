"""When the window has first shown what it opens on: the library's rows (or the open article).

The app starts its background work (the integrity check, then the catch-up of older
datasets) at that moment rather than at ``show()``: on a small dataset that work would
otherwise finish first and hold the GUI thread while the rows wait to be painted.

With ``ARTICLE_CURATOR_REPORT_FIRST_PAINT=1`` the app also prints one line at that
moment, ``first paint <seconds since the epoch> <CPU seconds of this process>``, for
the start-up benchmark: the wall clock, so that the process that started this one can
subtract its start; the CPU time (every thread's), which is what the start cost
whatever else the machine was busy with.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.widgets.main_window import MainWindow

REPORT_ENV = "ARTICLE_CURATOR_REPORT_FIRST_PAINT"
LINE_PREFIX = "first paint "
# A window that is never painted (minimised at start, say) still gets its background work.
FALLBACK_MS = 5000


def report_wanted() -> bool:
    return os.environ.get(REPORT_ENV, "") not in ("", "0")


class FirstPaint(QObject):
    """Emits ``painted`` once: after the first paint of the page ``window`` shows, or after FALLBACK_MS."""

    painted = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._watched, self._ready = _what_is_shown(window)
        self._done = False
        self._watched.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._emit)
        if report_wanted():
            self.painted.connect(_report)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self._done and event.type() == QEvent.Type.Paint and self._ready():
            self._watched.removeEventFilter(self)
            # Queued behind the paint itself, so that it comes once the rows are drawn.
            QTimer.singleShot(0, self, self._emit)
        return False

    def _emit(self) -> None:
        if not self._done:
            self._done = True
            self.painted.emit()


def _what_is_shown(window: MainWindow) -> tuple[QWidget, Callable[[], bool]]:
    """The widget whose first paint counts, and when a paint of it counts: the library table once it
    has rows, the welcome view of an empty dataset, or the article restored from the last session."""
    page = window.tabs.currentWidget()
    if page is window.panes.annotation:
        return window.panes.annotation.view.viewport(), lambda: True
    if window.panes.library_page.shows_welcome:
        return window.panes.welcome, lambda: True
    table = window.panes.library.table
    return table.viewport(), lambda: table.model().rowCount() > 0


def _report() -> None:
    print(f"{LINE_PREFIX}{time.time():.6f} {time.process_time():.6f}", file=sys.stdout, flush=True)
