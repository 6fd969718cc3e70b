"""The article-curator command as a user runs it: a real process, real files, a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("ARTICLE_CURATOR_DB", None)
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT)


@pytest.mark.slow
def test_import_url_feed_and_folder_then_export(tmp_path, http_server, sample_text, isolated_home):
    db = tmp_path / "cli.sqlite"
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "llama.txt").write_text(sample_text, encoding="utf-8")
    result = run_cli("import", http_server.url("/article.html"), http_server.url("/feed.xml"), str(folder),
                     "--db", str(db), "--workers", "1", home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Imported: 5   Duplicates: 0   Failed: 0" in result.stdout  # page, three feed items, text file
    assert "Traceback" not in result.stderr

    stats = run_cli("stats", "--db", str(db), home=isolated_home)
    assert stats.returncode == 0
    assert "Articles: 5" in stats.stdout and "PERSON" in stats.stdout

    found = run_cli("search", "Priya Raman", "--db", str(db), home=isolated_home)
    assert "Solvane Robotics names" in found.stdout

    out = tmp_path / "out.jsonl"
    exported = run_cli("export", str(out), "--db", str(db), home=isolated_home)
    assert exported.returncode == 0, exported.stderr
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(lines) == 5
    for line in lines:
        for span in line["spans"]:
            assert line["text"][span["start"]:span["end"]] == span["text"]


@pytest.mark.slow
def test_failures_exit_1_and_are_listed(tmp_path, http_server, isolated_home):
    db = tmp_path / "cli.sqlite"
    result = run_cli("import", http_server.url("/404"), http_server.url("/news/1.html"), str(tmp_path / "missing"),
                     "--db", str(db), "--workers", "1", home=isolated_home)
    assert result.returncode == 1
    assert "Imported: 1" in result.stdout and "Failed: 2" in result.stdout
    assert f"failed     {http_server.url('/404')}: The server answered 404" in result.stdout
    assert "No such file" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("export",),  # missing OUT
        ("export", "x.jsonl", "--format", "csv"),
        ("export", "x.jsonl", "--split", "0.5,0.6,0.1"),
        ("export", "x.jsonl", "--status", "finished"),
        ("export", "x.jsonl", "--split-files"),  # without --split: the export options refuse it
        ("frobnicate",),
        ("import",),
    ],
)
def test_usage_errors_exit_2_without_traceback(args, tmp_path, isolated_home):
    result = run_cli(*args, "--db", str(tmp_path / "u.sqlite"), home=isolated_home) if args[0] != "frobnicate" \
        else run_cli(*args, home=isolated_home)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "error" in result.stderr


@pytest.mark.slow
def test_not_a_dataset_is_a_clear_error(tmp_path, isolated_home):
    bogus = tmp_path / "photo.sqlite"
    bogus.write_bytes(os.urandom(8192))
    result = run_cli("stats", "--db", str(bogus), home=isolated_home)
    assert result.returncode == 2
    assert "not an Article Curator dataset" in result.stderr and str(bogus) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_default_dataset_lives_in_the_data_folder(isolated_home):
    result = run_cli("stats", home=isolated_home)
    assert result.returncode == 0, result.stderr
    assert list((isolated_home / "data").rglob("*.sqlite"))


@pytest.mark.slow
def test_version_and_help(isolated_home):
    from app import __version__

    assert __version__ in run_cli("--version", home=isolated_home).stdout
    helptext = run_cli("--help", home=isolated_home).stdout
    for word in ("import", "export", "stats", "search", "--db"):
        assert word in helptext


def test_the_commands_in_process(tmp_path, sample_text, capsys):
    """The fast loop's view of the command line: each subcommand through main() in this process."""
    from app.cli import main

    db, repaired, out = tmp_path / "cli.sqlite", tmp_path / "repaired.sqlite", tmp_path / "out.jsonl"
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "llama.txt").write_text(sample_text, encoding="utf-8")
    assert main(["import", str(folder), "--db", str(db), "--workers", "1"]) == 0
    assert "Imported: 1   Duplicates: 0   Failed: 0" in capsys.readouterr().out
    assert main(["--db", str(db), "stats"]) == 0
    assert "Articles: 1" in capsys.readouterr().out
    assert main(["search", "Llama", "--db", str(db)]) == 0
    assert "Llama" in capsys.readouterr().out
    assert main(["export", str(out), "--db", str(db)]) == 0
    assert len(out.read_bytes().splitlines()) == 1
    assert main(["repair", str(db), str(repaired)]) == 0
    capsys.readouterr()
    assert main(["stats", "--db", str(repaired)]) == 0
    assert "Articles: 1" in capsys.readouterr().out
