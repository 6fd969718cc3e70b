"""A cancel token shared between a long-running core function and whoever may stop it."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised inside long work when its token was cancelled."""


class CancelToken:
    """Thread-safe flag: the GUI's cancel button or Ctrl+C sets it, the core polls it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True early if cancelled meanwhile."""
        return self._event.wait(seconds)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
