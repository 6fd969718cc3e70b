"""One desktop window per dataset: the lock across real processes, and what opening says when it is held."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core.db import dataset_lock
from app.core.db.dataset_lock import DatasetInUse, acquire, lock_path_for
from app.core.db.store import StoreError, open_store
from app.core.ops import library

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys
from pathlib import Path
from app.core.db.store import open_store
store = open_store(Path(sys.argv[1]), exclusive=True)
print("holding", flush=True)
sys.stdin.read()  # until the test closes our stdin (or kills us)
store.close()
print("released", flush=True)
"""


@contextmanager
def held_by_another_process(dataset: Path) -> Iterator[subprocess.Popen[str]]:
    """A real second process with ``dataset`` open in the desktop app's way (exclusive)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(dataset)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "holding", (line, proc.stderr.read() if proc.stderr else "")
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


@pytest.mark.slow
def test_a_second_process_is_told_where_the_dataset_is_open(db_path: Path) -> None:
    with held_by_another_process(db_path) as proc:
        with pytest.raises(StoreError) as caught:
            open_store(db_path, exclusive=True)
        assert str(caught.value) == (f"{db_path.resolve()} is open in another Article Curator window "
                                     f"(process {proc.pid}). Close it there, or open another dataset.")
        assert isinstance(caught.value.__cause__, DatasetInUse)
        assert caught.value.__cause__.holder.pid == proc.pid
        # The command line does not take the lock: it reads and writes alongside the window.
        with open_store(db_path) as store:
            assert library.count_articles(store) == 0
        # Ending the window (closing the dataset) frees it.
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.stdout is not None and proc.stdout.readline().strip() == "released"
        assert proc.wait(30) == 0
    with open_store(db_path, exclusive=True) as store:
        assert store.lock is not None and store.lock.held
    assert not lock_path_for(db_path.resolve()).exists()  # closing tidies the lock file away


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_crashed_window_leaves_no_stale_lock(db_path: Path) -> None:
    with held_by_another_process(db_path) as proc:
        with pytest.raises(StoreError, match="is open in another Article Curator window"):
            open_store(db_path, exclusive=True)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to release anything
        proc.wait(30)
    assert lock_path_for(db_path.resolve()).exists()  # the file stays behind, unlocked
    with open_store(db_path, exclusive=True) as store:
        assert store.lock is not None


def test_the_same_dataset_twice_in_one_process(db_path: Path) -> None:
    with open_store(db_path, exclusive=True), pytest.raises(StoreError, match="is already open in this window"):
        open_store(db_path, exclusive=True)
    with open_store(db_path, exclusive=True):  # released by the close above
        pass


def test_lock_file_holds_who_has_it(tmp_path: Path) -> None:
    dataset = tmp_path / "d.sqlite"
    with acquire(dataset) as lock:
        assert lock.path == tmp_path / "d.sqlite.lock"
        with pytest.raises(DatasetInUse) as caught:
            acquire(dataset)
        holder = caught.value.holder
        assert holder.pid == os.getpid() and holder.host and holder.since
    assert not lock.held
    lock.release()  # twice is harmless


def test_unreadable_holder_details_still_give_a_message(tmp_path: Path) -> None:
    dataset = tmp_path / "d.sqlite"
    with acquire(dataset) as lock:
        lock.path.write_text("garbage")
        with pytest.raises(DatasetInUse) as caught:
            acquire(dataset)
    assert str(caught.value) == (f"{dataset} is open in another Article Curator window. "
                                 "Close it there, or open another dataset.")


def test_a_stale_lock_file_from_a_crash_is_taken_over(tmp_path: Path) -> None:
    dataset = tmp_path / "d.sqlite"
    lock_path_for(dataset).write_text('{"pid": 999999, "host": "elsewhere", "since": "yesterday"}')
    with acquire(dataset) as lock:
        assert lock.held


def test_without_a_lock_file_the_dataset_still_opens(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder where no lock file can be made (or no locking) does not stop a usable dataset."""

    def refuse(_dataset: Path) -> dataset_lock.DatasetLock:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dataset_lock, "acquire", refuse)
    with open_store(db_path, exclusive=True) as store:
        assert store.lock is None
        assert library.count_articles(store) == 0


def test_a_dataset_that_fails_to_open_releases_its_lock(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(os.urandom(4096))
    with pytest.raises(StoreError, match="not an Article Curator dataset"):
        open_store(bogus, exclusive=True)
    with acquire(bogus):  # not left held by the failed attempt
        pass


def test_datasets_without_a_file_take_no_lock() -> None:
    with open_store("sqlite://", exclusive=True) as store:  # in memory; a server URL is the same
        assert store.path is None and store.lock is None
