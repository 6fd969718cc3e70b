"""What others change on a team server, shown as it happens; the connection's state, said.

On a PostgreSQL dataset the window starts a ``ChangeListener`` (app/core/db/live.py).
Its notices arrive on the GUI thread, are gathered for ``GATHER_MS`` (one
reviewer's edit sends several: the span, the article, a status), at least
``SPACING_MS`` after the last announcement, and announced
on the window's change channel, so every view reads again what changed: the
open article, the library's rows, the labels, the entities. An own edit is
never overwritten: the panel stores the window's queued edits before it reads
the article again.

When the server goes away the window says so in red and keeps saying it until
the listener is back; edits made meanwhile fail with a message and are taken off
the screen (the edit gateway's rollback). Back, it says so and reads everything
again, since notices sent meanwhile were missed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from app.core.db.live import EVERYTHING, ChangeListener, Notice, changes_of

if TYPE_CHECKING:
    from app.widgets.main_window import MainWindow

GATHER_MS = 100
# At most two announcements a second: an import elsewhere sends a notice per batch, and each makes the
# library read its rows again.
SPACING_MS = 500
LOST = ("The connection to the server is lost: others' changes are not shown, and an edit that cannot be "
        "saved is said and taken back. Reconnecting…")
BACK = "Reconnected to the server; what others changed meanwhile is shown."


class LiveUpdates(QObject):
    noticed = Signal(object)  # a Notice, emitted on the listener's thread, received on the GUI thread
    state_changed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._pending: list[Notice] = []
        self._timer = QTimer(self, singleShot=True)
        self._last = -SPACING_MS / 1000  # when the last announcement was made (time.monotonic)
        self._timer.timeout.connect(self._announce)
        self.noticed.connect(self._gather)
        self.state_changed.connect(self._show_state)
        self.indicator = QLabel()
        self.indicator.setObjectName("connectionLost")
        self.indicator.setStyleSheet("QLabel#connectionLost { color: white; background: #c62828; padding: 2px 8px; }")
        self.indicator.hide()
        window.statusBar().addPermanentWidget(self.indicator)
        store = window.store
        self.listener = ChangeListener(store.engine.url, store.writer, self.noticed.emit, self.state_changed.emit)
        self.listener.start()

    def close(self) -> None:
        self.listener.stop()

    def _gather(self, notice: Notice) -> None:
        self._pending.append(notice)
        if not self._timer.isActive():
            since_ms = (time.monotonic() - self._last) * 1000
            self._timer.start(int(max(GATHER_MS, SPACING_MS - since_ms)))

    def _announce(self) -> None:
        notices, self._pending = self._pending, []
        self._last = time.monotonic()
        gateway = self.window.gateway
        for change in changes_of(notices, self.window.panes.annotation.current_article_id):
            gateway.publish(change, self)

    def _show_state(self, state: str) -> None:
        if state == "lost":
            self.indicator.setText(LOST)
            self.indicator.show()
            return
        self.indicator.hide()
        self.window.statusBar().showMessage(BACK, 8000)
        self._gather(EVERYTHING)
