"""Another process holding a SQLite dataset's write lock (BEGIN IMMEDIATE) until told to let go."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLD_THE_WRITE_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.rollback()
conn.close()
"""


class LockHolder:
    def __init__(self, dataset: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", HOLD_THE_WRITE_LOCK, str(dataset)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.wait(timeout=30)


@contextmanager
def write_lock_held_by_another_process(dataset: Path) -> Iterator[LockHolder]:
    holder = LockHolder(dataset)
    try:
        yield holder
    finally:
        holder.release()
