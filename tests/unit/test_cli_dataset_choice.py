"""--db names the dataset wherever it stands on the command line, and every summary says which it was."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from app.core.db.store import open_store
from app.core.ops import library
from app.core.paths import default_dataset_path
from tests.unit.test_cli import run_cli

pytestmark = pytest.mark.slow  # every test runs the command line in its own process


def default_dataset(home: Path) -> Path:
    assert default_dataset_path().is_relative_to(home)  # ARTICLE_CURATOR_HOME is the isolated home
    return default_dataset_path()


def test_db_before_the_subcommand_is_the_dataset_used(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "mine.sqlite"
    text = tmp_path / "story.txt"
    text.write_text("Harbour council votes\n\nThe harbour council voted on Tuesday to rebuild the old pier.\n",
                    encoding="utf-8")
    imported = run_cli("--db", str(db), "import", str(text), "--workers", "1", home=isolated_home)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"Imported: 1   Duplicates: 0   Failed: 0   Dataset: {db}" in imported.stdout
    with open_store(db) as store:
        assert [r.title for r in library.list_articles(store, library.ArticleFilter())] == ["Harbour council votes"]

    stats = run_cli("--db", str(db), "stats", home=isolated_home)
    assert stats.returncode == 0 and f"Dataset: {db}" in stats.stdout and "Articles: 1" in stats.stdout
    found = run_cli("--db", str(db), "search", "pier", home=isolated_home)
    assert found.returncode == 0 and "Harbour council votes" in found.stdout
    out = tmp_path / "out.jsonl"
    exported = run_cli("--db", str(db), "export", str(out), home=isolated_home)
    assert exported.returncode == 0, exported.stderr
    assert f"Exported 1 articles (native) from {db}." in exported.stdout
    assert [orjson.loads(line)["title"] for line in out.read_bytes().splitlines()] == ["Harbour council votes"]
    # The default dataset was never opened, so never created.
    assert not default_dataset(isolated_home).exists()
    assert not list(isolated_home.rglob("*.sqlite"))


def test_the_same_db_on_both_sides_is_fine(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "mine.sqlite"
    result = run_cli("--db", str(db), "stats", "--db", str(tmp_path / "." / "mine.sqlite"), home=isolated_home)
    assert result.returncode == 0, result.stderr
    assert f"Dataset: {db}" in result.stdout
    assert not default_dataset(isolated_home).exists()


def test_two_different_dbs_are_a_usage_error(tmp_path: Path, isolated_home: Path) -> None:
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    result = run_cli("--db", str(first), "export", str(tmp_path / "out.jsonl"), "--db", str(second),
                     home=isolated_home)
    assert result.returncode == 2
    assert (f"--db is given twice with different datasets ({first} and {second}); give it once"
            in result.stderr)
    assert "Traceback" not in result.stderr
    assert not first.exists() and not second.exists() and not (tmp_path / "out.jsonl").exists()
    assert not default_dataset(isolated_home).exists()


def test_db_after_the_subcommand_still_works(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "after.sqlite"
    result = run_cli("stats", "--db", str(db), home=isolated_home)
    assert result.returncode == 0 and f"Dataset: {db}" in result.stdout
    assert db.exists() and not default_dataset(isolated_home).exists()
