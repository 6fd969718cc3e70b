"""The command line's reading commands load only what they use, so that they answer at once.

Each check runs the commands in a new Python process and looks at ``sys.modules``
afterwards: Alembic (and Mako) only when a dataset needs an upgrade, the
PostgreSQL dialect only for a PostgreSQL URL, the extraction stack only for
imports from the web or HTML, the table classes, pydantic and the suggester's
models only where something is mapped, validated or suggested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.core.db import migrations
from app.core.db.store import create_store_engine
from app.core.ingest.storing import store_articles
from app.core.paths import resolve_dataset
from app.core.validation import NewArticle, NewSpan

ROOT = Path(__file__).resolve().parents[2]

NEVER_FOR_READING = (
    "alembic", "mako", "sqlalchemy.dialects.postgresql", "psycopg", "trafilatura", "lxml", "httpx",
    "charset_normalizer", "numpy", "datasketch", "sklearn", "pycrfsuite", "sqlmodel", "pydantic",
    "sqlalchemy.orm", "app.models.tables", "app.core.validation", "app.core.suggest.crf", "PySide6",
)

RUN = """
import contextlib, json, os, sys
from app.cli import main
with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
    statuses = [main(args) for args in json.loads(sys.argv[1])]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""


def _run(commands: list[list[str]], home: Path) -> tuple[list[int], set[str]]:
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", RUN, json.dumps(commands)], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    answer = json.loads(result.stdout.splitlines()[-1])
    return answer["statuses"], set(answer["modules"])


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules)


def test_stats_search_and_export_import_nothing_they_do_not_use(store, db_path: Path, tmp_path: Path,
                                                               isolated_home: Path) -> None:
    store_articles(store, [NewArticle(
        text="Priya Raman said the council approves the budget.", title="Council approves budget",
        url="https://news.example/1", source_kind="url", source="https://news.example/1", status="done",
        spans=[NewSpan(start=0, end=11, label="PERSON", text="Priya Raman")])], annotator="test")
    store.close()
    commands = [["stats", "--db", str(db_path)], ["stats", "--json", "--db", str(db_path)],
                ["search", "council", "--db", str(db_path)], ["export", str(tmp_path / "out.jsonl"), "--db", str(db_path)]]
    statuses, modules = _run(commands, isolated_home)
    assert statuses == [0, 0, 0, 0]
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").count("Priya Raman") == 2
    assert _loaded(modules, NEVER_FOR_READING) == []


def test_a_dataset_that_needs_an_upgrade_still_gets_it(db_path: Path, isolated_home: Path) -> None:
    engine = create_store_engine(resolve_dataset(db_path))
    migrations.upgrade(engine, "0013")
    engine.dispose()
    statuses, modules = _run([["stats", "--db", str(db_path)]], isolated_home)
    assert statuses == [0]
    assert "alembic" in modules
    engine = create_store_engine(resolve_dataset(db_path))
    try:
        assert migrations.current_revision(engine) == migrations.head_revision()
    finally:
        engine.dispose()
    assert list(db_path.parent.glob(f"{db_path.name}.before-0013.bak"))


def test_the_revisions_read_from_the_scripts_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    assert migrations.head_revision() == scripts.get_current_head()
    assert scripts.get_current_head() == migrations.HEAD_REVISION  # the command line's quick reads rely on it
    assert migrations.known_revisions() == {script.revision for script in scripts.walk_revisions()}
