"""One desktop window per dataset file: an operating-system lock on ``<dataset>.lock``.

Two windows editing one dataset would each show stale articles and spans and
undo each other's edits, so the desktop app takes this lock when it opens a
SQLite dataset and a second window is told where the dataset is open instead.

The lock is ``flock`` on POSIX and ``msvcrt.locking`` on Windows, held on an
open file: the operating system drops it when the process ends, however it
ends, so a crash never leaves a stale lock behind. The file holds the pid and
host of its holder, for the message. The command line does not take the lock
(see ``app/cli/__init__.py``), and a dataset on a database server has none.

Creating or upgrading a dataset takes a second, short lock on
``<dataset>.migrate-lock`` (``migration_lock``), by every process, windows and
command line alike: two imports started at once into a new dataset would
otherwise both create its tables. A process that finds it held waits.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

LOCK_SUFFIX = ".lock"
MIGRATION_LOCK_SUFFIX = ".migrate-lock"
_WINDOWS_LOCK_OFFSET = 1 << 30  # lock a byte far past the holder's details, so others can read them


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str
    since: str


class DatasetInUse(Exception):
    """Another window holds the dataset's lock; ``str()`` says where, for the user."""

    def __init__(self, dataset: Path, holder: LockHolder) -> None:
        self.dataset = dataset
        self.holder = holder
        super().__init__(_in_use_message(dataset, holder))


def _in_use_message(dataset: Path, holder: LockHolder) -> str:
    if holder.pid == os.getpid() and holder.host == socket.gethostname():
        return f"{dataset} is already open in this window."
    advice = "Close it there, or open another dataset."
    if holder.pid is None:
        return f"{dataset} is open in another Article Curator window. {advice}"
    if holder.host and holder.host != socket.gethostname():
        return f"{dataset} is open in Article Curator on {holder.host} (process {holder.pid}). {advice}"
    return f"{dataset} is open in another Article Curator window (process {holder.pid}). {advice}"


def lock_path_for(dataset: Path) -> Path:
    return dataset.with_name(dataset.name + LOCK_SUFFIX)


class DatasetLock:
    """A held lock; ``release()`` (or the end of the process) gives it up."""

    def __init__(self, dataset: Path, path: Path, fd: int) -> None:
        self.dataset = dataset
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform == "win32":
            _windows_unlock(fd)
            os.close(fd)
            with contextlib.suppress(OSError):  # fails while another process has the file open, which is fine
                self.path.unlink()
        else:
            # Unlink while still holding the lock: whoever opened the old file
            # meanwhile finds it is no longer the lock file and tries again.
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)


def acquire(dataset: Path) -> DatasetLock:
    """Lock ``dataset`` for this process.

    Raises ``DatasetInUse`` when another process (or another lock in this one)
    holds it, and ``OSError`` when the lock file cannot be made (a read-only
    folder, say); the caller decides whether to go on without it.
    """
    path = lock_path_for(dataset)
    for _ in range(20):
        fd = _open_locked(path)
        if fd is None:
            continue
        if isinstance(fd, LockHolder):
            raise DatasetInUse(dataset, fd)
        return DatasetLock(dataset, path, fd)
    raise OSError(f"Could not lock {path}: it keeps being replaced.")


def try_lock_file(fd: int) -> bool:
    """Lock an open file the way a dataset's lock file is locked, without waiting.

    False when another open file (in this process or another) holds the lock.
    The export marks its temporary files in use this way (see ``exporter``).
    """
    return _try_lock(fd)


def migration_lock(dataset: Path, poll_seconds: float = 0.02) -> DatasetLock:
    """Lock ``<dataset>.migrate-lock``, waiting while another process holds it; ``release()`` ends it.

    Raises ``OSError`` when the lock file cannot be made (a read-only folder):
    then nothing can be created or upgraded there either.
    """
    path = dataset.with_name(dataset.name + MIGRATION_LOCK_SUFFIX)
    while True:
        fd = _open_locked(path)
        if isinstance(fd, int):
            return DatasetLock(dataset, path, fd)
        if isinstance(fd, LockHolder):
            time.sleep(poll_seconds)


def _open_locked(path: Path) -> int | LockHolder | None:
    """``path`` opened, locked and holding our details; or its holder when another process has it;
    or None when its holder replaced it meanwhile (try again)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    held = False
    try:
        if not _try_lock(fd):
            return _read_holder(fd)
        if sys.platform != "win32" and not _is_current_file(fd, path):
            return None  # its holder unlinked it on release: lock the new file instead
        _write_holder(fd)
        held = True
        return fd
    finally:
        if not held:
            os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _windows_unlock(fd: int) -> None:
    if sys.platform != "win32":  # only Windows locks this way; says so to type checkers too
        return
    import msvcrt

    os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
    with contextlib.suppress(OSError):
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _is_current_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _write_holder(fd: int) -> None:
    details = {"pid": os.getpid(), "host": socket.gethostname(),
               "since": datetime.now().astimezone().isoformat(timespec="seconds")}
    data = json.dumps(details).encode()
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)


def _read_holder(fd: int) -> LockHolder:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        details = json.loads(os.read(fd, 4096).decode() or "{}")
        pid = details.get("pid")
        return LockHolder(pid if isinstance(pid, int) else None, str(details.get("host", "")),
                          str(details.get("since", "")))
    except (OSError, ValueError, AttributeError):
        # The holder has not written its details yet, or they are unreadable.
        return LockHolder(None, "", "")
