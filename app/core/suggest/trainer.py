"""Training a suggester in a process of its own, so the window never waits for it.

Training grows with the dataset (a learned model takes seconds at a few hundred
done articles), and Python threads share one interpreter lock with the GUI
thread: a training on a thread would still stutter every key press. So
``BackgroundTrainer`` trains in one worker process, started the "spawn" way (a
fork of a process that runs Qt, or any threads, is unsafe; spawn is the only way
on Windows and the default on macOS) and kept for the next training, and hands
the trained suggester back through a ``concurrent.futures.Future``. Suggesters
are picklable for this trip.

Only the newest training matters: submitting one cancels an earlier one that has
not started yet. A worker that dies (killed, out of memory) fails its future with
``BrokenProcessPool``, and the next ``submit`` starts a new worker.

Qt-free: the GUI wraps the future in its own task (app/widgets/). Reading what to
train on (``service.training_documents``, ``rejected_strings``) reads every done
article's text, so the window does that off the GUI thread too.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Self

from app.core.suggest.dictionary import Suggestion

Suggester = Callable[[str], list[Suggestion]]
TrainFn = Callable[[Sequence[Mapping[str, Any]], Sequence[tuple[str, str]], Sequence[str]], Suggester]

WORKER_NICENESS = 10
_SPAWN = multiprocessing.get_context("spawn")


def train_with_rejections(
    docs: Sequence[Mapping[str, Any]], rejected: Sequence[tuple[str, str]], labels: Sequence[str] = ()
) -> Suggester:
    """``train_suggester`` on a dataset: its done documents, its rejected ``(text, label)`` pairs and
    its entity labels (which name the starter model's labels before anything is labelled)."""
    # Imported here, in the process that trains: the window that only starts the worker never needs it.
    from app.core.suggest.learn import train_suggester

    return train_suggester(docs, rejected=rejected, labels=labels or None)


def _worker_init() -> None:
    # Ctrl+C in a terminal reaches the whole process group: the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Training is background work: when it competes with the GUI thread for a core, the GUI must win.
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)


class BackgroundTrainer:
    """Trains suggesters one at a time in a worker process; ``submit`` returns the trained one's future.

    ``train`` is the training function run in the worker: a module-level function
    (spawn imports it there by name), ``train_with_rejections`` unless given.
    """

    def __init__(self, train: TrainFn = train_with_rejections) -> None:
        self._train = train
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._latest: Future[Suggester] | None = None
        self._closed = False

    def submit(self, docs: Iterable[Mapping[str, Any]], rejected: Iterable[tuple[str, str]] = (),
               labels: Iterable[str] = ()) -> Future[Suggester]:
        """Train on ``docs`` (native export lines), ``rejected`` ``(text, label)`` pairs and the
        dataset's entity ``labels``, in the worker."""
        docs, rejected, labels = list(docs), list(rejected), list(labels)  # plain lists, whatever was passed
        with self._lock:
            if self._closed:
                raise RuntimeError("The trainer has been shut down.")
            if self._latest is not None:
                self._latest.cancel()  # not started yet: a newer training replaces it
            self._latest = self._submit(docs, rejected, labels)
            return self._latest

    def _submit(self, docs: list[Any], rejected: list[tuple[str, str]], labels: list[str]) -> Future[Suggester]:
        if self._pool is not None:
            try:
                return self._pool.submit(self._train, docs, rejected, labels)
            except BrokenProcessPool:  # the worker died during an earlier training: start another
                self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN, initializer=_worker_init)
        return self._pool.submit(self._train, docs, rejected, labels)

    @property
    def busy(self) -> bool:
        """Whether a training is queued or running."""
        with self._lock:
            return self._latest is not None and not self._latest.done()

    def shutdown(self, wait: bool = True) -> None:
        """Stop the worker: a queued training is cancelled, a running one finished (``wait``) or
        stopped (the worker is terminated: otherwise the interpreter waits for it at exit)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        if not wait:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
