"""A dataset of the version before suggestions (revision 0008) upgrades with its data, and suggests afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import text

from app.core.db import migrations
from app.core.db.store import create_store_engine, open_store
from app.core.paths import resolve_dataset
from app.core.suggest import service

BEFORE = "0008"
STAMP = "2026-11-30 10:00:00.000000"
TEXT = "Hugo Touvron left Meta for Mistral."
# The span columns before 0010 (which adds entity_id).
SPAN_COLUMNS = 'id, article_id, start, "end", label_id, text, annotator, origin, attributes, created_at, updated_at'
# The article columns before 0013 (which adds meta).
ARTICLE_COLUMNS = ("id, uid, url, canonical_url, title, author, published, site_name, language, text, text_hash, "
                   "extractor, extractor_version, source_kind, source, status, created_at, updated_at, "
                   "canonical_page_url")


def dataset_at(path: Path, revision: str, spans: tuple[tuple[int, int, int], ...] = ((0, 12, 1), (18, 22, 2)),
               origin: str = "suggested") -> None:
    """A dataset at ``revision`` holding one done article (TEXT) and ``spans`` ``(start, end, label id)``."""
    engine = create_store_engine(resolve_dataset(path))
    migrations.upgrade(engine, revision)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO article (id, uid, title, text, text_hash, source_kind, status, created_at, updated_at) "
            "VALUES (1, 'a1', 'Touvron', :t, :h, 'paste', 'done', :ts, :ts)"), {"t": TEXT, "h": "1" * 64, "ts": STAMP})
        for start, end, label_id in spans:
            conn.execute(text(
                'INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
                "created_at, updated_at) VALUES (1, :s, :e, :l, :t, 'ana', :o, '{}', :ts, :ts)"),
                {"s": start, "e": end, "l": label_id, "t": TEXT[start:end], "o": origin, "ts": STAMP})
    engine.dispose()


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        spans = f"SELECT {SPAN_COLUMNS} FROM span ORDER BY 1"
        return {"article": conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM article ORDER BY 1").fetchall(),
                "label": conn.execute("SELECT * FROM label ORDER BY 1").fetchall(),
                "span": conn.execute(spans).fetchall()}
    finally:
        conn.close()


def test_the_version_before_suggestions_upgrades_with_its_data(db_path: Path) -> None:
    dataset_at(db_path, BEFORE)
    before = _rows(db_path)
    with open_store(db_path) as store:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        assert store.backup_path == db_path.with_name(f"{db_path.name}.before-{BEFORE}.bak")
        assert _rows(db_path) == before
        # Spans accepted before the tables existed count as accepted suggestions.
        assert service.acceptance_rates(store) == {"PERSON": (1, 0), "ORG": (1, 0)}
        service.reject_suggestion(store, 1, 27, 34, "ORG", annotator="ana")
        service.store_suggestions(store, {1: [{"start": 27, "end": 34, "label": "ORG", "score": 0.4}]})
        assert service.rejected_strings(store) == [("Mistral", "ORG")]
        assert service.suggestions_for(store, None, 1) == []
        with store.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def test_the_upgrade_can_be_taken_back(db_path: Path) -> None:
    dataset_at(db_path, BEFORE)
    engine = create_store_engine(resolve_dataset(db_path))
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO suggestion_rejection (article_id, start, \"end\", label_id, text, annotator, "
                          "created_at) VALUES (1, 0, 4, 1, 'Hugo', 'ana', :ts)"), {"ts": STAMP})
    with engine.begin() as conn:
        config = migrations.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)
    assert migrations.current_revision(engine) == BEFORE
    with engine.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    engine.dispose()
    assert "suggestion" not in tables and "suggestion_rejection" not in tables


def test_a_repair_keeps_the_rejections_and_leaves_the_layer_to_be_computed_again(tmp_path: Path) -> None:
    from app.core.db.repair import repair_dataset
    from app.core.ops import labels

    path, dest = tmp_path / "sound.sqlite", tmp_path / "repaired.sqlite"
    dataset_at(path, BEFORE)
    with open_store(path) as store:
        labels.add_label(store, "PRODUCT")
        service.reject_suggestion(store, 1, 27, 34, "ORG", annotator="ana")
        service.reject_suggestion(store, 1, 27, 34, "PRODUCT", annotator="ana")
        service.store_suggestions(store, {1: [{"start": 27, "end": 34, "label": "ORG", "score": 0.4}]})
    report = repair_dataset(path, dest)
    assert report.complete and report.saved("suggestion_rejection") == 2
    with open_store(dest) as store:
        assert service.rejected_strings(store) == [("Mistral", "ORG"), ("Mistral", "PRODUCT")]
        assert service.stored_suggestions(store, 1) == []
        assert service.acceptance_rates(store) == {"PERSON": (1, 0), "ORG": (1, 1), "PRODUCT": (0, 1)}


def test_a_dataset_from_before_suggestions_repairs_too(tmp_path: Path) -> None:
    from app.core.db.repair import repair_dataset

    path, dest = tmp_path / "old.sqlite", tmp_path / "repaired.sqlite"
    dataset_at(path, BEFORE)
    report = repair_dataset(path, dest)
    assert report.complete and report.saved("article") == 1 and report.saved("suggestion_rejection") == 0
