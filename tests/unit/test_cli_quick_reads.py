"""stats, search and export read an up-to-date dataset file through sqlite3 alone, and say exactly
what they say through the store: each command runs both ways on the same dataset and the outputs
(what is printed, the exported files, the manifest and the dataset card) are compared byte for byte."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import app.cli as cli
from app.cli import main
from app.core.db import file_reader, migrations, sqlite_file
from app.core.db.store import Store, create_store_engine, open_store
from app.core.entities.linking import link_spans
from app.core.entities.registry import create_entity
from app.core.ingest.storing import store_articles
from app.core.paths import resolve_dataset
from app.core.validation import NewArticle
from tests.unit.test_export import plain_articles, sample_article, span, unicode_article

ROOT = Path(__file__).resolve().parents[2]
# ``python -m app ARGS``, then the database libraries it loaded.
AS_MAIN = """
import json, runpy, sys
sys.argv = ["app", *sys.argv[1:]]
try:
    runpy.run_module("app", run_name="__main__", alter_sys=True)
except SystemExit as done:
    status = done.code
print(json.dumps([status, sorted(m for m in sys.modules
                                 if m.startswith(("sqlalchemy", "sqlmodel", "pydantic", "alembic")))]))
"""


def _varied(store: Store, sample_text: str, *, gold: bool) -> None:
    """Spans of several annotators, claims with attributes, unicode and emoji, notes, metadata,
    an entity link, suggestions accepted and rejected; with ``gold``, a reviewer's layer of one article."""
    body = "Priya Raman 🎉 met Valley Bank. Priya Raman said the budget is approved."
    suggested = NewArticle(
        text=body, title="Priya Raman meets Valley Bank", url="https://news.example/priya", site_name="Example",
        language="en", source_kind="url", source="https://news.example/priya", status="done",
        meta={"section": "Économie", "tags": ["budget", "🏦"]},
        spans=[span(body, "Priya Raman", "PERSON") | {"origin": "suggested"},
               span(body, "Valley Bank", "ORG", annotator="bob"),
               span(body, "the budget is approved", "CLAIM", claimant="Priya Raman", verdict="true",
                    note="Said twice, 🎉 at the start.")]
        + ([span(body, "Valley Bank", "ORG", annotator="gold")] if gold else []))
    store_articles(store, [sample_article(sample_text), unicode_article(), *plain_articles(), suggested])
    with store.begin() as conn:
        raw = conn.connection.driver_connection
        ids = dict(raw.execute("SELECT title, id FROM article"))
        person = raw.execute("SELECT id FROM label WHERE name = 'PERSON'").fetchone()[0]
        raw.execute("INSERT INTO suggestion_rejection (article_id, start, \"end\", label_id, text, created_at) "
                    "VALUES (?, 19, 30, ?, 'Valley Bank', '2026-01-02 03:04:05.000000')",
                    (ids["Priya Raman meets Valley Bank"], person))
        if gold:
            raw.execute("INSERT OR REPLACE INTO article_status (article_id, annotator, status, updated_at) "
                        "VALUES (?, 'gold', 'done', '2026-01-02 03:04:05.000000')", (ids["Priya Raman meets Valley Bank"],))
        span_ids = [r[0] for r in raw.execute("SELECT id FROM span WHERE text = 'Priya Raman'")]
    entity = create_entity(store, "PERSON", "Priya Raman", aliases=["P. Raman"], external_id="Q42")
    link_spans(store, span_ids, entity.entity_ids[0])


@pytest.fixture(params=[False, True], ids=["layers", "gold"])
def varied(request: pytest.FixtureRequest, store: Store, db_path: Path, sample_text: str) -> Path:
    _varied(store, sample_text, gold=request.param)
    store.close()
    return db_path


class Run:
    """One command line, its status, what it printed, and the files it left in ``folder``."""

    def __init__(self, args: list[str], folder: Path, quick: bool, monkeypatch: pytest.MonkeyPatch) -> None:
        opened: list[Any] = []
        real_open = file_reader.open_for_reading

        def spying(location: Any) -> Any:
            opened.append(real_open(location))
            return opened[-1]

        monkeypatch.setattr(cli, "QUICK_READS", quick)
        monkeypatch.setattr(file_reader, "open_for_reading", spying)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.status = main(args)
        self.quick = bool(opened) and opened[0] is not None
        self.out, self.err = out.getvalue(), err.getvalue()
        self.files = {p.name: _stable(p) for p in sorted(folder.iterdir())} if folder.exists() else {}
        for path in folder.glob("*") if folder.exists() else ():
            path.unlink()


def _stable(path: Path) -> bytes:
    """A file's bytes, with the moment of the export (manifest and card) taken out."""
    data = path.read_bytes()
    return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"<created>", data)


def both_ways(args: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Run, Run]:
    quick = Run(args, folder, True, monkeypatch)
    full = Run(args, folder, False, monkeypatch)
    assert quick.quick and not full.quick
    assert (quick.status, quick.out, quick.err) == (full.status, full.out, full.err)
    assert quick.files == full.files
    return quick, full


@pytest.mark.parametrize("query", ["priya raman", "Priya", "budg", "🎉", "Zoë Ångström", "東京", "José\u0301",
                                   "\"(AND) *", "nothing-here-at-all"])
def test_search_prints_the_same_both_ways(varied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          query: str) -> None:
    quick, _full = both_ways(["search", query, "--db", str(varied)], tmp_path / "none", monkeypatch)
    assert quick.status == 0 and quick.out


def test_search_with_a_limit(varied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quick, _full = both_ways(["search", "Meta", "--limit", "1", "--db", str(varied)], tmp_path / "none",
                             monkeypatch)
    assert len(quick.out.splitlines()) == 1


def test_stats_prints_the_same_both_ways(varied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quick, _full = both_ways(["stats", "--db", str(varied)], tmp_path / "none", monkeypatch)
    assert "Suggestions accepted per label:" in quick.out and "PERSON" in quick.out


@pytest.mark.parametrize("options", [[], ["--all-layers"], ["--annotator", "bob"], ["--status", "done"],
                                     ["--status", "done", "--status", "new"], ["--label", "CLAIM"],
                                     ["--format", "spacy"], ["--format", "doccano"], ["--format", "labelstudio"]],
                         ids=lambda o: " ".join(o) or "native")
def test_export_writes_the_same_both_ways(varied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          options: list[str]) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    quick, _full = both_ways(["export", str(folder / "x.jsonl"), *options, "--db", str(varied)], folder,
                             monkeypatch)
    assert quick.status == 0
    assert "x.manifest.json" in quick.files and "x.README.md" in quick.files
    assert b"<created>" in quick.files["x.manifest.json"]


def test_the_cached_span_lists_and_the_span_rows_export_alike(varied: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with sqlite3.connect(varied) as conn:
        conn.execute("DELETE FROM article_span_json WHERE article_id = (SELECT min(id) FROM article)")
    folder = tmp_path / "out"
    folder.mkdir()
    both_ways(["export", str(folder / "x.jsonl"), "--db", str(varied)], folder, monkeypatch)


def test_a_read_only_dataset_is_read_the_same_way(varied: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_file, "writable", lambda path: False)
    dataset = file_reader.open_for_reading(varied)
    assert dataset is not None and dataset.read_only
    with dataset, dataset.reader() as reader, pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.rows("DELETE FROM article")
    both_ways(["stats", "--db", str(varied)], tmp_path / "none", monkeypatch)
    both_ways(["search", "priya", "--db", str(varied)], tmp_path / "none", monkeypatch)


def test_a_damaged_dataset_gets_the_same_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.unit.test_store_open_errors import PAGE, make_dataset, overwrite

    path = make_dataset(tmp_path / "damaged.sqlite")
    overwrite(path, path.stat().st_size // PAGE // 2 * PAGE, 4 * PAGE)
    quick, _full = both_ways(["stats", "--db", str(path)], tmp_path / "none", monkeypatch)
    assert quick.status == 1 and "is damaged" in quick.err


def test_what_the_quick_reads_leave_to_the_store(tmp_path: Path, store: Store, db_path: Path) -> None:
    store.close()
    assert file_reader.open_for_reading(db_path) is not None
    assert file_reader.open_for_reading(tmp_path / "missing.sqlite") is None
    assert not (tmp_path / "missing.sqlite").exists()  # nothing was created: the store creates it
    assert file_reader.open_for_reading("postgresql+psycopg://someone@localhost/db") is None
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    assert file_reader.open_for_reading(text) is None
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE things (x)")
    before = other.read_bytes()
    assert file_reader.open_for_reading(other) is None
    assert other.read_bytes() == before  # another program's database is left as it was
    old = tmp_path / "old.sqlite"
    engine = create_store_engine(resolve_dataset(old))
    migrations.upgrade(engine, "0013")
    engine.dispose()
    assert file_reader.open_for_reading(old) is None  # needs an upgrade: the store makes it
    with open_store(old) as upgraded:
        assert upgraded.revision() == migrations.HEAD_REVISION


def test_options_that_need_the_store_take_it(varied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for args in (["stats", "--json"], ["export", str(folder / "x.jsonl"), "--split", "0.8,0.1,0.1"],
                 ["export", str(folder / "x.conll"), "--format", "conll"], ["entities"]):
        run = Run([*args, "--db", str(varied)], folder, True, monkeypatch)
        assert run.status == 0 and not run.quick, args


def test_python_m_app_reads_without_the_database_libraries(varied: Path, tmp_path: Path,
                                                            isolated_home: Path) -> None:
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(isolated_home), "PYTHONPATH": str(ROOT)}
    for args in (["search", "priya", "raman"], ["stats"], ["export", str(tmp_path / "x.jsonl")]):
        done = subprocess.run([sys.executable, "-c", AS_MAIN, *args, "--db", str(varied)], capture_output=True,
                              text=True, env=env, timeout=120, check=True)
        assert json.loads(done.stdout.splitlines()[-1]) == [0, []], (args, done.stderr)
    assert (tmp_path / "x.jsonl").read_text(encoding="utf-8").count("Priya Raman") > 1


def test_a_busy_dataset_is_said_once_without_waiting_twice(varied: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import app.core.db.store as store_module

    monkeypatch.setattr(sqlite_file, "BUSY_TIMEOUT_MS", 200)
    waited_again: list[object] = []
    monkeypatch.setattr(store_module, "open_store", lambda *a, **k: waited_again.append(a))
    holder = sqlite3.connect(varied, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE article SET title = title")
        status = main(["stats", "--db", str(varied)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 2
    assert "is busy: another program is writing to it" in capsys.readouterr().err
    assert waited_again == []  # the store would have waited its own timeout again


def test_an_export_cut_short_ends_its_snapshot(varied: Path, tmp_path: Path) -> None:
    from app.core.export import exporter

    def stop(done: int, total: int, item: str, *rest: object) -> None:
        raise RuntimeError("stopped")

    with file_reader.open_for_reading(varied) as dataset:
        assert dataset is not None
        with pytest.raises(RuntimeError):
            exporter.export_jsonl(dataset, tmp_path / "a.jsonl", exporter.ExportOptions(all_layers=True),
                                  progress=stop)
        assert not dataset.conn.in_transaction
        exporter.export_jsonl(dataset, tmp_path / "b.jsonl", exporter.ExportOptions(all_layers=True))
    assert (tmp_path / "b.jsonl").read_text(encoding="utf-8").count("\n") >= 5
