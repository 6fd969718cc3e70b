"""A new SQLite dataset has exactly the schema the migrations have always built.

The snapshot in tests/data/schema/sqlite.sql was written from a dataset the migrations
made before they were frozen (when they still called the live core), so an inlined
migration that drifts from what used to run fails here, not in a user's upgrade.
A new migration changes the snapshot on purpose: write it again with this module's
``schema_text`` and review the diff.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.core.db.store import open_store

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "schema" / "sqlite.sql"


def schema_text(path: Path) -> str:
    """Every object's SQL, the search index's settings and the revision, in a stable order."""
    con = sqlite3.connect(path)
    try:
        lines = []
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                           "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        for kind, name, table, sql in rows:
            lines.append(f"-- {kind} {name} on {table}\n{sql};\n" if sql else f"-- {kind} {name} on {table} (no SQL)\n")
        lines += [f"-- article_fts_config {k} = {v}" for k, v in con.execute("SELECT k, v FROM article_fts_config ORDER BY k")]
        lines.append(f"-- alembic {con.execute('SELECT version_num FROM alembic_version').fetchone()[0]}")
        return "\n".join(lines) + "\n"
    finally:
        con.close()


def test_a_new_dataset_has_the_schema_of_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite"
    with open_store(path):
        pass
    assert schema_text(path) == SNAPSHOT.read_text()
