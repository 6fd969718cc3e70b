"""One thread that writes a window's edits to the dataset, in the order they were made.

The window shows an edit the moment it is made and hands its write to this
queue, so a key press never waits for the dataset's write lock, which another
process (a command-line import, say) may hold. Each write is one transaction
that commits as soon as the lock is free: a crash loses only the writes still
queued, milliseconds of edits.

The waiting happens here, trying again every millisecond or two. SQLite's own
busy handler sleeps up to 100 ms between tries, and a writer that sleeps that
long keeps losing the lock to an import that takes it again at once. Each
write starts with BEGIN IMMEDIATE, so a try costs one statement, not the
write's reads done again (and a write never finds, halfway, that the import
changed the dataset under its reads). A write that
still finds the dataset locked after ``lock_timeout_s`` fails, and so does
every write queued behind it: those edits were made on top of it. Their
``done`` callbacks are not called; the caller hears of the first failure and
starts a new ``generation`` for what comes next.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.db import store as store_module
from app.core.db.store import DATABASE_ERRORS, Store, create_store_engine, describe_db_error, is_busy

log = logging.getLogger(__name__)

RETRY_EVERY_S = 0.001
SQLITE_WAIT_MS = 1  # sleeping inside SQLite leaves Python's GIL to the window's thread

Write = Callable[[Store], Any]
Done = Callable[[BaseException | None], None]  # None when the write was stored


@dataclass
class _Job:
    write: Write
    done: Done
    generation: int


def _immediate_store(store: Store) -> Store:
    """The same SQLite dataset through connections of its own: each transaction takes the write lock
    first, and SQLite sleeps at most ``SQLITE_WAIT_MS`` for it, so that the retry loop decides how often to look."""
    engine = create_store_engine(store.location, busy_timeout_ms=SQLITE_WAIT_MS)

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" below says how

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return Store(engine, store.location)


class EditWriter:
    """The queue and its thread. ``submit`` from one thread (the window's); ``done`` runs on the writer's."""

    def __init__(self, store: Store, *, lock_timeout_s: float | None = None) -> None:
        self.lock_timeout_s = store_module.BUSY_TIMEOUT_MS / 1000 if lock_timeout_s is None else lock_timeout_s
        self._own_engine = store.is_sqlite
        self.store = _immediate_store(store) if self._own_engine else store
        self._jobs: deque[_Job] = deque()
        self._changed = threading.Condition()
        self._writing = False
        self._closed = False
        self._failed_generation = -1
        self._thread = threading.Thread(target=self._run, name="edit-writer", daemon=True)
        self._thread.start()

    def submit(self, write: Write, done: Done, generation: int = 0) -> None:
        with self._changed:
            if self._closed:
                raise RuntimeError("the edit writer is closed")
            self._jobs.append(_Job(write, done, generation))
            self._changed.notify_all()

    def has_failed(self, generation: int) -> bool:
        """Whether a write of ``generation`` failed: the writes queued after it in that generation are dropped."""
        with self._changed:
            return generation <= self._failed_generation

    def idle(self) -> bool:
        with self._changed:
            return not self._jobs and not self._writing

    def wait_until_idle(self, timeout_s: float | None = None) -> bool:
        """Block until every submitted write is stored or has failed; False when ``timeout_s`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._jobs and not self._writing, timeout_s)

    def close(self, timeout_s: float | None = None) -> bool:
        """Finish the queued writes, then stop the thread; False when they did not finish in time."""
        finished = self.wait_until_idle(timeout_s)
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout_s)
        if self._own_engine and not self._thread.is_alive():
            self.store.engine.dispose()
        return finished

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._jobs or self._closed)
                if not self._jobs:
                    return  # closed, and nothing left to write
                job = self._jobs.popleft()
                if job.generation <= self._failed_generation:
                    self._changed.notify_all()
                    continue  # made on top of a write that failed: dropped with it
                self._writing = True
            error = self._write(job.write)
            if error is not None:
                with self._changed:
                    self._failed_generation = max(self._failed_generation, job.generation)
            try:
                job.done(error)
            except Exception:  # a broken callback must not stop later writes
                log.exception("edit writer callback failed")
            with self._changed:
                self._writing = False
                self._changed.notify_all()

    def _write(self, write: Write) -> BaseException | None:
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                write(self.store)
                return None
            except DATABASE_ERRORS as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    log.warning("edit not saved: %s", describe_db_error(exc))
                    return exc
            except Exception as exc:  # noqa: BLE001 - refused edits (InvalidInput) and I/O errors go to the caller
                return exc
            time.sleep(RETRY_EVERY_S)
