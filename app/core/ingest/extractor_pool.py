"""The killable process pool that runs ``extract_document`` for an import.

lxml can spin for minutes on a pathological page and a thread cannot be stopped:
a process can. So each page is extracted in a worker process with a deadline.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as _wait_any
from typing import Any, Self

from app.core.ingest.extraction import (
    ExtractedDoc,
    ExtractionError,
    ExtractOptions,
    check_input_size,
    extract_document,
    reason_for,
)

__all__ = ["ExtractorPool"]

WORKER_NICENESS = 10

# --- Worker process side ---

WorkerFn = Callable[[str | bytes, str | None, ExtractOptions], ExtractedDoc]




def _worker_main(conn: Connection, options: ExtractOptions, worker_fn: WorkerFn) -> None:
    """Worker process entry point (top level so that "spawn" can import it).

    Sends ("ready", None) once, then answers each (html, url) with ("ok", ExtractedDoc)
    or ("err", reason); exits when the parent closes its end of the pipe.
    """
    # Ctrl+C in a terminal reaches the whole process group; the parent decides
    # what to do, the worker must not die mid-job because of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Extraction is background work: when it competes with the desktop app's GUI
    # thread for the cores, the GUI must win, or every click waits for a time slice.
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)
    import trafilatura  # noqa: F401  -- pay the import cost before the first deadline starts

    conn.send(("ready", None))
    while True:
        try:
            packed, url = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", worker_fn(_unpack(packed), url, options))
        except Exception as exc:  # noqa: BLE001 -- everything becomes a readable reason
            reply = ("err", reason_for(exc))
        packed = None  # free the page before waiting for the next one
        conn.send(reply)


# --- Pool (parent side) ---

_STOP = object()  # queue sentinel: one per manager thread at close()
# "spawn": forking a process that runs Qt (or any threads) is unsafe, and
# spawn is the only method on Windows and the default on macOS.
_SPAWN = multiprocessing.get_context("spawn")
_CLOSED_REASON = "Extraction was stopped because the import was closed."


@dataclass
class _Job:
    html: _Packed
    url: str | None
    future: Future[ExtractedDoc]


# A page travels to its worker zlib-compressed (level 1: ~4x smaller for about
# 1 ms, done by the submitting thread with the GIL released), so a typical page
# fits in the pipe ahead of the one being extracted and the worker never waits.
_Packed = tuple[bool, bytes]  # (was it str?, compressed bytes)


def _pack(html: str | bytes) -> _Packed:
    if isinstance(html, str):
        return True, zlib.compress(html.encode("utf-8", "surrogatepass"), 1)
    return False, zlib.compress(html, 1)


def _unpack(packed: _Packed) -> str | bytes:
    is_str, data = packed
    raw = zlib.decompress(data)
    return raw.decode("utf-8", "surrogatepass") if is_str else raw


def _send_buffer_size(conn: Connection) -> int:
    """Bytes the pipe to a worker can hold unread; 0 where we cannot tell (Windows pipes)."""
    if sys.platform == "win32":
        return 0
    try:
        with socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
    except OSError:
        return 0


def _crash_reason(exitcode: int | None) -> str:
    if exitcode == -getattr(signal, "SIGKILL", 9):  # what the OOM killer sends
        return "The extraction process was killed while reading this page (probably out of memory)."
    return f"The extraction process stopped unexpectedly on this page (exit code {exitcode})."


class _Worker:
    """One worker process plus the manager thread that feeds it jobs.

    To hide the round trip (result in, next page out) the manager keeps one more
    job waiting in the pipe while the worker is busy, but only a page small enough
    for the pipe's buffer: a send must never block behind a stuck worker.
    """

    def __init__(self, pool: ExtractorPool, jobs: queue.Queue[Any], index: int) -> None:
        self._pool = pool
        self._jobs = jobs  # shared by all workers of the pool
        self._lock = threading.Lock()  # guards _proc/_conn against close() from another thread
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._stopping = False  # close() was called
        self._seen_stop = False  # took _STOP from the queue
        self._prefetch_max = 0  # bytes; 0 disables sending ahead
        self._sent: deque[_Job] = deque()  # sent to the current process; [0] is being worked on
        self._carry: deque[_Job] = deque()  # taken from the queue, not (or no longer) sent
        self._head_deadline = 0.0
        self.thread = threading.Thread(target=self._run, name=f"extractor-{index}", daemon=True)

    def spawn(self) -> None:
        """Start the process without waiting for it (start-up runs in parallel)."""
        with self._lock:
            if self._stopping or self._proc is not None:
                return
            parent_conn, child_conn = _SPAWN.Pipe(duplex=True)
            proc = _SPAWN.Process(
                target=_worker_main, name="article-extractor", daemon=True,
                args=(child_conn, self._pool.options, self._pool.worker_fn))
            proc.start()
            child_conn.close()  # so the child sees EOF if we go away
            self._proc, self._conn, self._ready = proc, parent_conn, False
            self._prefetch_max = _send_buffer_size(parent_conn) // 4

    def discard(self) -> None:
        """Stop the process (terminate, then kill) and forget it."""
        with self._lock:
            proc, conn = self._proc, self._conn
            self._proc, self._conn, self._ready = None, None, False
        if conn is not None:
            conn.close()
        if proc is not None:
            for stop in (proc.terminate, proc.kill):  # kill: SIGTERM can be ignored or blocked
                if proc.is_alive():
                    stop()
                    proc.join(1.0)

    def abort(self) -> None:
        """Called by close(): terminating the process wakes a manager waiting on it."""
        with self._lock:
            self._stopping = True
            if self._proc is not None and self._proc.is_alive():
                self._proc.terminate()

    def _await(self, timeout: float) -> tuple[str, Any]:
        """("msg", message), ("dead", exitcode) or ("timeout", None); the OS wakes us, no sleeps."""
        conn, proc = self._conn, self._proc
        assert conn is not None and proc is not None
        end = time.monotonic() + timeout
        while True:
            ready = _wait_any([conn, proc.sentinel], max(0.0, end - time.monotonic()))
            if conn in ready or conn.poll(0):
                try:
                    return "msg", conn.recv()
                except (EOFError, OSError):
                    ready = [proc.sentinel]
            if ready:
                proc.join(1.0)  # the sentinel can fire a moment before the exit code is known
                return "dead", proc.exitcode
            if time.monotonic() >= end:
                return "timeout", None

    def _ensure_ready(self) -> str | None:
        """Start/wait for a worker; return an error reason if it cannot start."""
        if self._proc is not None and not self._proc.is_alive():
            self.discard()  # died while idle (e.g. killed by the OS): not this page's fault
        self.spawn()
        if self._proc is None:  # close() raced us
            return _CLOSED_REASON
        if self._ready:
            return None
        status, msg = self._await(self._pool.start_timeout)
        if status == "msg" and msg == ("ready", None):
            self._ready = True
            return None
        self.discard()
        if self._stopping:
            return _CLOSED_REASON
        if status == "timeout":
            return "The extraction process took too long to start."
        return f"The extraction process could not start (exit code {msg})."

    def _take(self, block: bool) -> _Job | None:
        """Next job: carried-over ones first, then the shared queue (None: nothing/stop)."""
        if self._carry:
            return self._carry.popleft()
        if self._seen_stop:
            return None
        try:
            item = self._jobs.get(block=block)
        except queue.Empty:
            return None
        if item is _STOP:
            self._seen_stop = True
            return None
        return item

    def _run(self) -> None:
        try:
            while not self._stopping:
                # Top up: the job being worked on plus, if small, one waiting in the pipe.
                while len(self._sent) < 2 and not self._stopping:
                    job = self._take(block=not self._sent)
                    if job is None:
                        break
                    if self._sent and len(job.html[1]) > self._prefetch_max:
                        self._carry.appendleft(job)  # sent once the worker is free
                        break
                    self._send(job)
                if self._sent:
                    self._collect()
                elif self._seen_stop and not self._carry:
                    return
        except Exception as exc:  # noqa: BLE001 -- a dead manager would strand its jobs
            self._fail_all(f"Extraction failed on this page ({type(exc).__name__}).")
        finally:
            self._fail_all(_CLOSED_REASON)
            self.discard()

    def _fail_all(self, reason: str) -> None:
        for job in (*self._sent, *self._carry):
            if job.future.running():
                job.future.set_exception(ExtractionError(reason))
            else:
                job.future.cancel()
        self._sent.clear()
        self._carry.clear()

    def _send(self, job: _Job) -> None:
        # Marked running only now, so cancel_pending() can still cancel a carried job.
        if not job.future.running() and not job.future.set_running_or_notify_cancel():
            return
        if not self._sent:
            error = self._ensure_ready()
            if error is not None:
                job.future.set_exception(ExtractionError(error))
                return
            self._head_deadline = time.monotonic() + self._pool.options.deadline
        assert self._conn is not None
        with contextlib.suppress(OSError, ValueError):  # the process died; _collect reports it
            self._conn.send((job.html, job.url))
        self._sent.append(job)

    def cancel_carried(self) -> int:
        """Cancel the pages held back until the worker is free; return how many were cancelled."""
        return sum(job.future.cancel() for job in list(self._carry))

    def _collect(self) -> None:
        """Wait for the oldest sent job; on timeout or crash, kill and restart the worker."""
        status, msg = self._await(self._head_deadline - time.monotonic())
        head = self._sent.popleft()
        if status == "msg":
            kind, payload = msg
            if kind == "ok":
                head.future.set_result(payload)
            else:
                head.future.set_exception(ExtractionError(str(payload)))
            # The worker turns to the next job only now, so its clock starts now.
            self._head_deadline = time.monotonic() + self._pool.options.deadline
            return
        # Only the job being worked on is to blame; the ones behind it are re-sent.
        self._carry.extendleft(reversed(self._sent))
        self._sent.clear()
        self.discard()
        if self._stopping:
            reason = _CLOSED_REASON
        elif status == "timeout":
            reason = f"Extraction gave up after {self._pool.options.deadline:g} s on this page."
        else:
            reason = _crash_reason(msg)
        head.future.set_exception(ExtractionError(reason))
        self.spawn()  # warm up the replacement (no-op when stopping)


class ExtractorPool:
    """Runs ``extract_document`` in N killable worker processes; ``submit`` is thread-safe.

    Each job gets ``options.deadline`` seconds (worker start-up not counted); on
    overrun its process is killed and replaced. Futures resolve to ExtractedDoc or
    fail with ExtractionError. ``worker_fn`` (a top-level callable with the signature
    of ``extract_document``) lets tests simulate hanging or crashing pages. Leaving
    the ``with`` block calls ``close()``: wait for the futures you need first.
    """

    def __init__(self, workers: int | None = None, options: ExtractOptions | None = None, *,
                 worker_fn: WorkerFn = extract_document, start_timeout: float = 60.0) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.options = options or ExtractOptions()
        self.start_timeout = start_timeout
        self.worker_fn = worker_fn
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._workers = [_Worker(self, self._jobs, i) for i in range(self.workers)]
        try:
            for w in self._workers:
                w.spawn()  # processes import trafilatura in parallel, once
                w.thread.start()
        except BaseException:
            self.close()  # do not leak the workers already started
            raise

    def submit(self, html: str | bytes, url: str | None = None) -> Future[ExtractedDoc]:
        """Queue one page; oversize pages fail immediately without reaching a worker."""
        future: Future[ExtractedDoc] = Future()
        try:
            check_input_size(html, self.options)
        except ExtractionError as exc:
            future.set_running_or_notify_cancel()
            future.set_exception(exc)
            return future
        with self._lock:
            if self._closed:
                raise RuntimeError("ExtractorPool is closed")
            self._jobs.put(_Job(_pack(html), url, future))
        return future

    def cancel_pending(self) -> int:
        """Cancel every job not yet sent to a worker; return how many were cancelled."""
        cancelled = stops = 0
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                stops += 1
            elif job.future.cancel():
                cancelled += 1
        for w in self._workers:  # a page a manager holds back until its worker is free
            cancelled += w.cancel_carried()
        for _ in range(stops):  # only present while closing; keep them for the threads
            self._jobs.put(_STOP)
        return cancelled

    def close(self, timeout: float = 5.0) -> None:
        """Cancel queued jobs, kill running ones (they fail with ExtractionError), end the pool.

        Returns within about ``timeout`` seconds even if a worker ignores termination.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.cancel_pending()
        for _ in self._workers:
            self._jobs.put(_STOP)
        for w in self._workers:
            w.abort()
        end = time.monotonic() + timeout
        for w in self._workers:
            # Not from a future callback on that thread, nor for a worker whose thread
            # never started (start-up failed half way).
            if w.thread is not threading.current_thread() and w.thread.ident is not None:
                w.thread.join(max(0.0, end - time.monotonic()))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
