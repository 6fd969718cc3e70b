"""An export killed on the way leaves its temporary file; the next export removes it, never a live one's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.db.store import open_store
from app.core.export.exporter import export_jsonl
from app.core.export.output import remove_stale_temp_files
from app.core.ingest.storing import store_articles
from app.core.validation import NewArticle

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 20_000

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="stops and kills a process with POSIX signals"),
              pytest.mark.slow]  # every test starts an export in its own process


@pytest.fixture(scope="module")
def big_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Large enough that an export runs for a while (about half a second or more)."""
    path = tmp_path_factory.mktemp("big") / "big.sqlite"
    with open_store(path) as store:
        for start in range(0, ARTICLES, 5000):
            store_articles(store, [NewArticle(text=f"Story {i}: the harbour council met again. " * 12,
                                              title=f"Story {i}", source_kind="paste")
                                   for i in range(start, start + 5000)])
    return path


def temp_files(folder: Path, target: str = "out.jsonl") -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(f".{target}.") and p.name.endswith(".tmp"))


def stopped_mid_export(db: Path, out: Path, home: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A real ``article-curator export`` process, stopped (SIGSTOP) while it writes its temporary file."""
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "app", "export", str(out), "--db", str(db)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = temp_files(out.parent)
        if found and found[0].stat().st_size > 0:  # writing has begun
            proc.send_signal(signal.SIGSTOP)
            return proc, found[0]
        if proc.poll() is not None:
            break
        time.sleep(0.001)
    proc.kill()
    pytest.fail("the export finished (or failed) before it could be stopped in the middle")


def test_a_killed_exports_temp_file_is_removed_by_the_next_export(big_dataset: Path, tmp_path: Path,
                                                                  isolated_home: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc, leftover = stopped_mid_export(big_dataset, out, isolated_home)
    proc.send_signal(signal.SIGKILL)  # kill -9 in the middle of writing
    proc.wait(timeout=30)
    assert leftover.exists() and not out.exists()
    other = tmp_path / ".notes.jsonl.abcd1234.tmp"  # another target's: not this export's to judge
    other.write_bytes(b"{}\n")
    unrelated = tmp_path / f".out.jsonl.{'x' * 12}.tmp"  # not a name the export makes
    unrelated.write_bytes(b"keep")

    with open_store(big_dataset) as store:
        summary = export_jsonl(store, out)
    assert summary.articles == ARTICLES
    assert not leftover.exists()
    assert temp_files(tmp_path) == [unrelated]
    assert other.exists()
    assert len(out.read_bytes().splitlines()) == ARTICLES


def test_a_running_exports_temp_file_is_kept(big_dataset: Path, tmp_path: Path, isolated_home: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc, live = stopped_mid_export(big_dataset, out, isolated_home)
    try:
        # A second export of the same target while the first is in the middle of writing.
        assert remove_stale_temp_files(out) == []
        with open_store(big_dataset) as store:
            export_jsonl(store, out)
        assert live.exists()
    finally:
        proc.send_signal(signal.SIGCONT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert f"Exported {ARTICLES} articles".encode() in stdout
    assert not live.exists() and temp_files(tmp_path) == []
    assert len(out.read_bytes().splitlines()) == ARTICLES
