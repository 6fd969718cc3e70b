"""Output piped into a reader that stops early (head, less, a closed pipe): a quiet exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.db.store import open_store
from app.core.ingest.storing import store_articles
from app.core.validation import NewArticle

pytestmark = pytest.mark.slow  # every test runs the command line in its own process

ROOT = Path(__file__).resolve().parents[2]


def cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("ARTICLE_CURATOR_DB", None)
    return env


def run_into_closed_pipe(args: list[str], home: Path) -> tuple[int, str]:
    """Run the CLI with its output going into a pipe whose reader has already gone."""
    proc = subprocess.Popen([sys.executable, "-m", "app", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=cli_env(home), cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode("utf-8", "replace")
    return proc.wait(timeout=120), err


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "pipes.sqlite"
    with open_store(path) as store:
        store_articles(store, [NewArticle(text=f"Harbour story {i}: the pier and the council. " * 20,
                                          title=f"Harbour story {i}", source_kind="paste") for i in range(1500)])
    return path


def assert_quiet(err: str) -> None:
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err


def test_search_into_a_closed_pipe(dataset: Path, isolated_home: Path) -> None:
    status, err = run_into_closed_pipe(["search", "harbour", "--limit", "1500", "--db", str(dataset)], isolated_home)
    assert_quiet(err)
    assert status == 1


def test_search_into_head(dataset: Path, isolated_home: Path) -> None:
    """A real ``| head -3``: head reads three lines and exits while search still writes (~90 KB)."""
    command = (f'"{sys.executable}" -m app search harbour --limit 1500 --db "{dataset}" | head -3')
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=cli_env(isolated_home),
                            cwd=ROOT, timeout=120, check=False)
    assert len(result.stdout.splitlines()) == 3
    assert_quiet(result.stderr)


def test_import_summary_into_head(tmp_path: Path, isolated_home: Path) -> None:
    """``import … | head -1`` with a summary longer than a pipe holds (one line per failed file)."""
    folder = tmp_path / "empty-files"
    folder.mkdir()
    for i in range(1200):  # an empty file fails with a reason: one summary line each
        (folder / f"empty-file-number-{i:05d}-with-a-long-name-to-fill-the-pipe.txt").touch()
    command = (f'"{sys.executable}" -m app import "{folder}" --db "{tmp_path / "ds.sqlite"}" --workers 1 | head -1')
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=cli_env(isolated_home),
                            cwd=ROOT, timeout=300, check=False)
    assert result.stdout.startswith("Imported: 0   Duplicates: 0   Failed: 1200")
    assert_quiet(result.stderr)


def test_import_into_a_closed_pipe(tmp_path: Path, isolated_home: Path) -> None:
    text = tmp_path / "story.txt"
    text.write_text("Pier reopens\n\nThe old pier reopened on Sunday after two years of repairs.\n", encoding="utf-8")
    db = tmp_path / "ds.sqlite"
    status, err = run_into_closed_pipe(["import", str(text), "--db", str(db), "--workers", "1"], isolated_home)
    assert_quiet(err)
    assert status == 1
    with open_store(db) as store:  # the import itself was done; only its summary had nowhere to go
        from app.core.ops import library

        assert library.count_articles(store) == 1


def test_export_summary_into_a_closed_pipe(dataset: Path, tmp_path: Path, isolated_home: Path) -> None:
    out = tmp_path / "out.jsonl"
    status, err = run_into_closed_pipe(["export", str(out), "--db", str(dataset)], isolated_home)
    assert_quiet(err)
    assert status == 1
    assert len(out.read_bytes().splitlines()) == 1500
