"""Schema migrations (Alembic), run automatically when a dataset is opened.

Before an existing SQLite dataset is upgraded, a copy is made with SQLite's
online backup API, next to the file: ``<name>.before-<revision>.bak``.
Processes that create or upgrade one dataset at the same moment take turns:
a file lock beside a SQLite dataset (``app.core.db.store``), an advisory lock in
PostgreSQL (``upgrade``).

Alembic is imported only to upgrade: opening an up-to-date dataset compares the
stored revision with the revisions read from the migration scripts' headers
(``known_revisions``), which costs a fraction of Alembic's own import.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
VERSION_TABLE = "alembic_version"
# The newest revision, as a constant for the command line's quick reads, which must not spend
# the reading of every script on it (``head_revision`` is the authority; a test keeps the two equal).
HEAD_REVISION = "0021"

# The two assignments every migration script starts with (see script.py.mako).
_REVISION = re.compile(r"""^revision\s*=\s*["']([^"']+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision\s*=\s*(?:None|["']([^"']+)["'])""", re.MULTILINE)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@lru_cache(maxsize=1)
def _revision_graph() -> dict[str, str | None]:
    """Each revision of the migration scripts, with the revision it follows (None for the first)."""
    graph: dict[str, str | None] = {}
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            raise RuntimeError(f"{script} does not declare its revision and down_revision")
        graph[revision.group(1)] = down.group(1)
    return graph


def known_revisions() -> frozenset[str]:
    """Every schema revision this version of the app knows (and can upgrade from)."""
    return frozenset(_revision_graph())


def head_revision() -> str:
    """The newest revision: the one no other revision follows."""
    graph = _revision_graph()
    heads = set(graph) - set(graph.values())
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision stored in the dataset; None for a database that has none yet."""
    with engine.connect() as conn:
        return stored_revision(conn)


def stored_revision(conn: Connection) -> str | None:
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    revisions = [row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]
    if len(revisions) > 1:
        # Several heads: Alembic's own reading says so, in its words.
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return revisions[0] if revisions else None


# Any constant shared by every process: the key of the PostgreSQL advisory lock held while migrating.
_PG_MIGRATION_LOCK = 0x61727469636C65  # "article"


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from sqlalchemy import text

    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes upgrading one database at once: the second waits here until the
            # first commits, then finds the schema already where it wanted it.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            target = head_revision() if revision == "head" else revision
            if stored_revision(conn) == target:
                return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def backup_sqlite(db_path: Path, revision: str | None) -> Path:
    """Copy a live SQLite file consistently (WAL included) before changing its schema."""
    target = db_path.with_name(f"{db_path.name}.before-{revision or 'empty'}.bak")
    src = sqlite3.connect(str(db_path))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target
