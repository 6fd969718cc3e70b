"""Schema migrations (Alembic), run automatically when a dataset is opened.

Before an existing SQLite dataset is upgraded, a copy is made with SQLite's
online backup API, next to the file: ``<name>.before-<revision>.bak``.
Processes that create or upgrade one dataset at the same moment take turns:
a file lock beside a SQLite dataset (``app.core.db.store``), an advisory lock in
PostgreSQL (``upgrade``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# Any constant shared by every process: the key of the PostgreSQL advisory lock held while migrating.
_PG_MIGRATION_LOCK = 0x61727469636C65  # "article"


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes upgrading one database at once: the second waits here until the
            # first commits, then finds the schema already where it wanted it.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            target = head_revision() if revision == "head" else revision
            if MigrationContext.configure(conn).get_current_revision() == target:
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
