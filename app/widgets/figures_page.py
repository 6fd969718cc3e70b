"""A page of figures computed from the whole dataset: View ▸ Overview and View ▸ Agreement.

The figures are computed off the GUI thread (``run_task``) when the page is made,
and again a little after changes that move them (a burst of edits computes them
once), at once if the page is shown, else when it is next shown. A change that
arrives while they are being computed has them computed once more afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.core.changes import ChangeKind, Changes
from app.widgets.edits import EditGateway
from app.widgets.tasks import run_task

REFRESH_DELAY_MS = 400  # a burst of edits (an import, a bulk relabel) computes the figures once
# Changes after which the figures are computed again (span edits too).
MOVES_FIGURES = (ChangeKind.STATUS_CHANGED, ChangeKind.ARTICLES_ADDED, ChangeKind.ARTICLES_DELETED,
                 ChangeKind.LABELS_CHANGED, ChangeKind.ROLLED_BACK, ChangeKind.CHANGED_ELSEWHERE)


class FiguresPage(QWidget):
    figures_shown = Signal()

    def __init__(self, gateway: EditGateway, compute: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._compute = compute
        self._loading = False
        self._stale = True  # the figures shown are not the dataset's: compute them when next shown
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        gateway.changes_applied.connect(self._on_change)

    @property
    def is_loading(self) -> bool:
        """True from the moment the figures are out of date (or being computed) until they are shown."""
        return self._loading or self._stale

    def refresh(self) -> None:
        """Compute the figures again in the background; once more afterwards if asked meanwhile."""
        self._timer.stop()
        if self._loading:
            self._stale = True
            return
        self._loading, self._stale = True, False
        run_task(self._compute, self._computed, self._computing_failed)

    def showEvent(self, event: QEvent) -> None:  # noqa: N802
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale and not self._loading:
            self.refresh()

    def _on_change(self, change: Changes, _initiator: object) -> None:
        if not change.saved or not (change.has(*MOVES_FIGURES) or change.touches_spans()):
            return
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def _computed(self, figures: Any) -> None:
        self._loading = False
        self.show_figures(figures)
        if self._stale and self.isVisible():
            self.refresh()
        self.figures_shown.emit()

    def _computing_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.show_failure(exc)

    def show_figures(self, figures: Any) -> None:
        raise NotImplementedError

    def show_failure(self, exc: BaseException) -> None:
        raise NotImplementedError
