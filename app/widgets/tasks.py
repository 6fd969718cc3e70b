"""The one way to run work off the GUI thread.

``run_task(fn, on_done, on_error, on_progress)`` runs ``fn`` on the global
QThreadPool; its results, errors and progress arrive on the GUI thread through
queued signals. ``fn`` never touches widgets; it receives a ``progress``
callable and the task's ``CancelToken`` if it asks for them by keyword.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.core.cancel import CancelToken

log = logging.getLogger(__name__)


class TaskSignals(QObject):
    progress = Signal(object)  # a tuple of whatever fn passed to progress(...)
    done = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()


class Task(QRunnable):
    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.fn = fn
        self.cancel = CancelToken()
        self.signals = TaskSignals()
        self.setAutoDelete(False)  # the handle keeps it alive until finished

    def run(self) -> None:
        kwargs: dict[str, Any] = {}
        params = inspect.signature(self.fn).parameters
        if "progress" in params:
            kwargs["progress"] = lambda *args: self.signals.progress.emit(args)
        if "cancel" in params:
            kwargs["cancel"] = self.cancel
        try:
            result = self.fn(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never lost
            log.error("background task failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)
        finally:
            self.signals.finished.emit()


_running: set[Task] = set()


def run_task(
    fn: Callable[..., Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[..., None] | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Start ``fn`` in the background; callbacks run on the GUI thread."""
    task = Task(fn)
    if on_done:
        task.signals.done.connect(on_done)
    if on_error:
        task.signals.failed.connect(on_error)
    if on_progress:
        task.signals.progress.connect(lambda args: on_progress(*args))
    _running.add(task)
    task.signals.finished.connect(lambda: _running.discard(task))
    (pool or QThreadPool.globalInstance()).start(task)
    return task


def wait_for_all(timeout_ms: int = 30000) -> bool:
    """Block until background tasks end (used on quit and in tests)."""
    for task in list(_running):
        task.cancel.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
