"""A dataset of the version before the claim columns (revision 0014) upgrades with each claim's date, verdict,
claimant and site filled in, keeps its ready-made export lists, and can be taken back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from app.core.db import migrations
from app.core.db.store import create_store_engine, open_store
from app.core.entities import claims
from app.core.entities.claims import ClaimFilter
from app.core.paths import resolve_dataset
from tests.unit.test_suggest_migration import STAMP, TEXT, dataset_at

BEFORE = "0014"
# TEXT is "Hugo Touvron left Meta for Mistral.": a PERSON, and three claims (label 3 is CLAIM).
SPANS = ((0, 12, 1), (0, 17, 3), (18, 34, 3), (13, 22, 3))
ATTRIBUTES = {
    2: '{"claimant": "Touvron", "date": "2024-05-01", "note": "", "verdict": "true"}',
    3: '{"claimant": "", "note": "", "verdict": "false"}',
    4: '{"claimant": "Meta", "note": "", "verdict": "false"}',
}


def _old_dataset(path: Path) -> None:
    dataset_at(path, BEFORE, SPANS, origin="manual")
    engine = create_store_engine(resolve_dataset(path))
    with engine.begin() as conn:
        assert conn.execute(text("SELECT name, kind FROM label WHERE id = 3")).one() == ("CLAIM", "claim")
        conn.execute(text("UPDATE article SET published = '2025-03-02T08:00:00Z', site_name = 'Harbor News'"))
        for span_id, attributes in ATTRIBUTES.items():
            conn.execute(text("UPDATE span SET attributes = :a WHERE id = :i"), {"a": attributes, "i": span_id})
        conn.execute(text("INSERT INTO entity (id, label_id, name, name_key, created_at, updated_at) "
                          "VALUES (1, 2, 'Meta Platforms', 'meta platforms', :ts, :ts)"), {"ts": STAMP})
        conn.execute(text("UPDATE span SET claimant_id = 1 WHERE id = 4"))
        # The export list of the article, as the app keeps it.
        conn.execute(text("INSERT INTO article_span_json (article_id, spans, label_counts, format) "
                          "VALUES (1, '[]', '{}', 2)"))
    engine.dispose()


def _columns(conn: object) -> list[tuple[object, ...]]:
    return conn.execute(text(  # type: ignore[attr-defined]
        "SELECT id, claim_date, claim_verdict, claim_claimant, claim_site FROM span ORDER BY id")).all()


def test_the_version_before_the_claim_columns_upgrades_with_them_filled(db_path: Path) -> None:
    _old_dataset(db_path)
    assert TEXT[0:17] == "Hugo Touvron left"
    with open_store(db_path) as store:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        with store.begin() as conn:
            assert _columns(conn) == [
                (1, None, None, None, None),
                (2, "2024-05-01", "true", "touvron", "harbor news"),
                (3, "2025-03-02", "false", "", "harbor news"),
                (4, "2025-03-02", "false", "meta platforms", "harbor news"),
            ]
            # Filling the columns dropped no export list.
            assert conn.execute(text("SELECT count(*) FROM article_span_json")).scalar_one() == 1
        assert claims.list_claim_ids(store, sort="date", descending=True) == [4, 3, 2]
        assert claims.list_claim_ids(store, ClaimFilter(verdict="false"), sort="claimant") == [3, 4]
        assert [r.date for r in claims.list_claims(store, sort="id")] == ["2024-05-01", "2025-03-02", "2025-03-02"]
        # A span edit still drops the article's export list.
        with store.begin() as conn:
            conn.execute(text("UPDATE span SET attributes = '{}' WHERE id = 3"))
            assert conn.execute(text("SELECT count(*) FROM article_span_json")).scalar_one() == 0


def test_the_upgrade_can_be_taken_back(db_path: Path) -> None:
    _old_dataset(db_path)
    engine = create_store_engine(resolve_dataset(db_path))
    migrations.upgrade(engine)
    with engine.begin() as conn:
        config = migrations.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)
    assert migrations.current_revision(engine) == BEFORE
    with engine.connect() as conn:
        columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(span)")}
        trigger = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'span_json_span_update'").scalar_one()
    engine.dispose()
    assert not columns & {"claim_date", "claim_verdict", "claim_claimant", "claim_site"}
    assert trigger.startswith("CREATE TRIGGER span_json_span_update AFTER UPDATE ON span BEGIN")
