"""The files an export writes: each through a locked temporary file beside it, renamed into place.

An export writes ``.OUT.jsonl.XXXXXXXX.tmp`` in the target's folder and moves it
over the target with ``os.replace`` only once complete and synced, so an
existing export is never left half-overwritten. An export killed on the way
(kill -9, a power cut) leaves its temporary file behind; the next export of
the same target removes such files, and only those no running export holds.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO

from app.core.db import dataset_lock

WRITE_BUFFER = 1 << 20


class Output:
    """One target file, written through a temporary file in the same folder.

    The temporary file is locked (``dataset_lock.try_lock_file``) for as long as
    it may become the target, so a later export can tell it from one that a
    killed export left behind (``remove_stale_temp_files``). The lock is held on
    a file descriptor of its own, which outlives closing the written file.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        for _ in range(20):
            self.file: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish/discard
                dir=target.parent, prefix=_temp_prefix(target), suffix=TEMP_SUFFIX, delete=False,
                buffering=WRITE_BUFFER,
            )
            self.tmp = Path(self.file.name)
            self._lock_fd: int | None = _lock_if_current(self.tmp)
            if self._lock_fd is not None:
                break
            # Another export removed it between its creation and the lock: it was not yet ours.
            self.file.close()
        else:
            raise OSError(f"Could not make a temporary file beside {target}: it keeps being removed.")
        # The wrapper delegates every call through __getattr__; write to the real file.
        self.write: Callable[[bytes], int] = self.file.file.write

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with suppress(OSError):
                os.close(fd)

    def finish(self) -> None:
        """Flush and sync the temporary file (the data is on disk before it gets the real name)."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        # NamedTemporaryFile makes owner-only files; an export is an ordinary document.
        mode = self.target.stat().st_mode & 0o777 if self.target.exists() else 0o644
        os.chmod(self.tmp, mode)

    def commit(self) -> None:
        if os.name == "nt":
            self._unlock()  # Windows renames no file that is open elsewhere
        os.replace(self.tmp, self.target)
        self._unlock()

    def discard(self) -> None:
        with suppress(OSError):
            self.file.close()
        self.tmp.unlink(missing_ok=True)
        self._unlock()


TEMP_SUFFIX = ".tmp"
# NamedTemporaryFile's names: the prefix, eight letters, digits or "_", the suffix.
_TEMP_MIDDLE = re.compile(r"[a-z0-9_]{8}")


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def _lock_if_current(path: Path) -> int | None:
    """A descriptor holding the lock on ``path``, if it could be taken and ``path`` is still that file."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if dataset_lock.try_lock_file(fd):
            held, now = os.fstat(fd), os.stat(path)
            if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
                return fd
    except OSError:
        pass
    os.close(fd)
    return None


def remove_stale_temp_files(target: Path) -> list[Path]:
    """Remove the temporary files that exports of ``target`` were killed in the middle of writing.

    Only files named as this module names them, and only those no export holds
    the lock of: a running export (in any process) keeps its own.
    """
    prefix = _temp_prefix(target)
    removed: list[Path] = []
    try:
        candidates = [p for p in target.parent.iterdir()
                      if p.name.startswith(prefix) and p.name.endswith(TEMP_SUFFIX)
                      and _TEMP_MIDDLE.fullmatch(p.name[len(prefix):-len(TEMP_SUFFIX)])]
    except OSError:
        return removed
    for path in candidates:
        fd = _lock_if_current(path)
        if fd is None:
            continue  # in use by a running export, or already gone
        try:
            path.unlink()  # while holding its lock, so no export can be using it
            removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def sync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder entry is synced (POSIX only).
    if os.name == "posix":
        with suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
