"""A dataset of the version before entities (revision 0009) upgrades with its spans, and links them afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import text

from app.core.db import migrations
from app.core.db.store import create_store_engine, open_store
from app.core.entities import linking, queries, registry
from app.core.paths import resolve_dataset
from tests.unit.test_suggest_migration import SPAN_COLUMNS, STAMP, dataset_at

BEFORE = "0009"
SPANS = ((0, 12, 1), (18, 22, 2), (27, 34, 2))


def _spans(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT {SPAN_COLUMNS} FROM span ORDER BY id").fetchall()
    finally:
        conn.close()


def test_the_version_before_entities_upgrades_with_its_spans(db_path: Path) -> None:
    dataset_at(db_path, BEFORE, SPANS, origin="manual")
    before = _spans(db_path)
    with open_store(db_path) as store:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        assert store.backup_path == db_path.with_name(f"{db_path.name}.before-{BEFORE}.bak")
        assert _spans(db_path) == before
        meta = registry.create_entity(store, "ORG", "Meta").entity_ids[0]
        report = linking.auto_link(store)
        assert report.linked == 1 and queries.count_mentions(store, meta) == 1
        with store.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            plan = " ".join(r[3] for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM span WHERE entity_id = 1"))
            assert "ix_span_entity" in plan
            plan = " ".join(r[3] for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM entity_alias WHERE name_key = 'meta'"))
            assert "ix_entity_alias_key" in plan


def test_the_upgrade_can_be_taken_back(db_path: Path) -> None:
    dataset_at(db_path, BEFORE, SPANS, origin="manual")
    before = _spans(db_path)
    engine = create_store_engine(resolve_dataset(db_path))
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO entity (id, label_id, name, name_key, created_at, updated_at) "
                          "VALUES (1, 2, 'Meta', 'meta', :ts, :ts)"), {"ts": STAMP})
        conn.execute(text("UPDATE span SET entity_id = 1 WHERE id = 2"))
    with engine.begin() as conn:
        config = migrations.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)
    assert migrations.current_revision(engine) == BEFORE
    with engine.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(span)")}
    engine.dispose()
    assert "entity" not in tables and "entity_alias" not in tables and "entity_id" not in columns
    assert _spans(db_path) == before
