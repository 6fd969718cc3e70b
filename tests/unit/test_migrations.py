"""Datasets made by older versions open with the current code, after a backup, with data intact."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Table, UniqueConstraint, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import app.models.tables  # noqa: F401 - registers the dataset's tables
from app.core.db import migrations
from app.core.db.store import StoreError, create_store_engine, open_store
from app.core.ingest.storing import store_article
from app.core.ops import library
from app.core.ops.library import ArticleFilter
from app.core.paths import resolve_dataset
from app.core.validation import NewArticle

FIRST = "0001"
STAMP = "2025-05-01 09:30:00.000000"

OLD_ARTICLES = [
    # (id, uid, title, text, status)
    (1, "old-1", "Llama team leaves Meta", "Of the fourteen researchers, only three remain at Meta.", "in_progress"),
    (2, "old-2", "Timothée Lacroix co-founds Mistral", "The Paris start-up hires former FAIR staff.", "done"),
    (3, "old-3", "", "Gold prices hit a record high amid tensions.", "new"),
]
# (article_id, start, end, label_id, annotator, attributes); label ids 1-3 are the default labels.
OLD_SPANS = [
    (1, 50, 54, 2, "alice", "{}"),
    (2, 4, 9, 1, "alice", "{}"),
    (2, 0, 18, 3, "bob", '{"claimant":"","note":"","verdict":"true"}'),
]


def _create_at_first_revision(path: Path) -> None:
    """A dataset as the first released version left it: schema 0001 plus rows written by that code."""
    engine = create_store_engine(resolve_dataset(path))
    migrations.upgrade(engine, FIRST)
    assert migrations.current_revision(engine) == FIRST
    texts = {a[0]: a[3] for a in OLD_ARTICLES}
    with engine.begin() as conn:
        for art_id, uid, title, body, status in OLD_ARTICLES:
            conn.execute(
                text(
                    "INSERT INTO article (id, uid, url, canonical_url, title, text, text_hash, source_kind, status, "
                    "created_at, updated_at) VALUES (:id, :uid, :url, :url, :title, :text, :hash, 'url', :status, "
                    ":ts, :ts)"
                ),
                {"id": art_id, "uid": uid, "url": f"https://example.org/{uid}", "title": title, "text": body,
                 "hash": f"{art_id:064x}", "status": status, "ts": STAMP},
            )
        conn.execute(
            text("INSERT INTO article_source (article_id, compression, content_type, data) VALUES (1, 'zlib', 'text/html', :d)"),
            {"d": b"x\x9c\x03\x00\x00\x00\x00\x01"},
        )
        for art_id, start, end, label_id, who, attrs in OLD_SPANS:
            conn.execute(
                text(
                    'INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
                    "created_at, updated_at) VALUES (:a, :s, :e, :l, :t, :who, 'manual', :attr, :ts, :ts)"
                ),
                {"a": art_id, "s": start, "e": end, "l": label_id, "t": texts[art_id][start:end], "who": who,
                 "attr": attrs, "ts": STAMP},
            )
    engine.dispose()


def _snapshot(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        "article": conn.execute(
            "SELECT id, uid, url, canonical_url, title, text, text_hash, source_kind, status, created_at, updated_at "
            "FROM article ORDER BY id"
        ).fetchall(),
        "article_source": conn.execute("SELECT * FROM article_source ORDER BY article_id").fetchall(),
        "label": conn.execute("SELECT * FROM label ORDER BY id").fetchall(),
        # The columns the first version had: later revisions add some (span.entity_id, 0010).
        "span": conn.execute('SELECT id, article_id, start, "end", label_id, text, annotator, origin, attributes, '
                             "created_at, updated_at FROM span ORDER BY id").fetchall(),
    }


def _read(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


@pytest.fixture
def old_dataset(db_path: Path) -> Iterator[tuple[Path, dict[str, list[tuple[object, ...]]]]]:
    _create_at_first_revision(db_path)
    conn = _read(db_path)
    try:
        before = _snapshot(conn)
    finally:
        conn.close()
    yield db_path, before


def test_an_old_dataset_is_upgraded_with_its_data(old_dataset: tuple[Path, dict[str, list[tuple[object, ...]]]]) -> None:
    path, before = old_dataset
    with open_store(path) as store:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        with store.begin() as conn:
            tables = set(inspect(conn).get_table_names())
        assert "import_log" in tables
        # The same schema as a dataset created by the current version.
        with open_store(path.with_name("fresh.sqlite")) as fresh, store.engine.connect() as a, \
                fresh.engine.connect() as b:
            assert _schema_sql(a) == _schema_sql(b)
        conn = _read(path)
        try:
            assert _snapshot(conn) == before
        finally:
            conn.close()
        # The rows read back through the current code, too.
        detail = library.get_article(store, 2)
        assert detail is not None
        assert detail.title == "Timothée Lacroix co-founds Mistral"
        assert [(s.label, s.annotator, s.text) for s in detail.spans] == [
            ("CLAIM", "bob", "The Paris start-up"),
            ("PERSON", "alice", "Paris"),
        ]
        assert detail.spans[0].attributes == {"claimant": "", "note": "", "verdict": "true"}
        assert library.status_counts(store) == {"in_progress": 1, "done": 1, "new": 1}


def test_old_articles_are_searchable_after_the_upgrade(
    old_dataset: tuple[Path, dict[str, list[tuple[object, ...]]]],
) -> None:
    path, _ = old_dataset
    with open_store(path) as store:
        assert [r.id for r in library.search(store, "timothee")] == [2]  # title, diacritics folded
        assert [r.id for r in library.search(store, "fourteen researchers")] == [1]  # text
        assert [r.id for r in library.search(store, "reco")] == [3]  # prefix
        assert library.count_articles(store, ArticleFilter(query="meta")) == 1
        # The index is complete and consistent with the table it indexes.
        with store.begin() as conn:
            conn.exec_driver_sql("INSERT INTO article_fts(article_fts, rank) VALUES('integrity-check', 1)")
        # New articles are added next to the old ones and found alike.
        store_article(store, NewArticle(text="Meta hires again.", title="Hiring"))
        assert library.count_articles(store, ArticleFilter(query="meta")) == 2


def test_the_backup_is_the_dataset_before_the_upgrade(
    old_dataset: tuple[Path, dict[str, list[tuple[object, ...]]]],
) -> None:
    path, before = old_dataset
    with open_store(path) as store:
        backup = store.backup_path
    assert backup == path.with_name(f"{path.name}.before-{FIRST}.bak")
    assert backup.is_file()
    conn = _read(backup)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(FIRST,)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "import_log" not in tables and "article_fts" not in tables
        assert _snapshot(conn) == before
    finally:
        conn.close()
    # The backup opens as a dataset too (and is then itself upgraded, after its own backup).
    with open_store(backup) as restored:
        assert library.count_articles(restored) == len(OLD_ARTICLES)


def test_the_backup_includes_changes_still_in_the_wal(db_path: Path) -> None:
    # Another connection kept open stops SQLite from folding the WAL into the file on close,
    # as happens when the previous version of the app is still running.
    _create_at_first_revision(db_path)
    holder = sqlite3.connect(db_path)
    try:
        holder.execute("UPDATE article SET title = 'changed in the WAL' WHERE id = 3")
        holder.commit()
        assert Path(f"{db_path}-wal").stat().st_size > 0
        with open_store(db_path) as store:
            backup = store.backup_path
        assert backup is not None
        conn = _read(backup)
        try:
            assert conn.execute("SELECT title FROM article WHERE id = 3").fetchone() == ("changed in the WAL",)
        finally:
            conn.close()
    finally:
        holder.close()


def test_constraints_survive_the_upgrade(old_dataset: tuple[Path, dict[str, list[tuple[object, ...]]]]) -> None:
    path, _ = old_dataset
    with open_store(path) as store:
        insert = text(
            'INSERT INTO span (article_id, start, "end", label_id, text, annotator, created_at, updated_at) '
            "VALUES (3, :s, :e, 1, 'x', '', :ts, :ts)"
        )
        length = len(OLD_ARTICLES[2][3])
        for start, end in ((5, 5), (0, length + 1)):
            with pytest.raises(IntegrityError), store.begin() as conn:
                conn.execute(insert, {"s": start, "e": end, "ts": STAMP})
        with store.begin() as conn:
            conn.execute(insert, {"s": 0, "e": length, "ts": STAMP})
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        # Spans stored by the old version cannot be moved past their text either.
        with pytest.raises(IntegrityError), store.begin() as conn:
            conn.execute(text('UPDATE span SET "end" = "end" + 1000 WHERE article_id = 2'))


def test_search_index_settings_after_the_upgrade(
    old_dataset: tuple[Path, dict[str, list[tuple[object, ...]]]],
) -> None:
    path, _ = old_dataset
    with open_store(path) as store, store.begin() as conn:
        settings = dict(conn.exec_driver_sql("SELECT k, v FROM article_fts_config").all())
    assert settings.get("hashsize") == 32 * 1024 * 1024  # set by migration 0003


def test_upgrade_can_be_declined(old_dataset: tuple[Path, dict[str, list[tuple[object, ...]]]]) -> None:
    path, before = old_dataset
    with pytest.raises(StoreError, match="needs an upgrade"):
        open_store(path, upgrade=False)
    assert list(path.parent.glob("*.bak")) == []
    conn = _read(path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(FIRST,)]
        assert _snapshot(conn) == before
    finally:
        conn.close()


def test_an_up_to_date_dataset_gets_no_backup(db_path: Path) -> None:
    with open_store(db_path) as store:
        assert store.backup_path is None  # a brand-new dataset has nothing to back up
        store_article(store, NewArticle(text="Something to keep."))
    with open_store(db_path) as store:
        assert store.backup_path is None
        assert library.count_articles(store) == 1
    with open_store(db_path, upgrade=False) as store:
        assert store.backup_path is None
    assert sorted(p.name for p in db_path.parent.iterdir() if ".bak" in p.name) == []


def test_every_revision_is_reached_one_step_at_a_time(db_path: Path) -> None:
    """Upgrading revision by revision ends at the same schema as one jump to head."""
    from alembic.script import ScriptDirectory

    revisions = [s.revision for s in ScriptDirectory.from_config(migrations.alembic_config()).walk_revisions()]
    revisions.reverse()
    assert revisions[0] == FIRST and revisions[-1] == migrations.head_revision()
    stepped = create_store_engine(resolve_dataset(db_path))
    for rev in revisions:
        migrations.upgrade(stepped, rev)
        assert migrations.current_revision(stepped) == rev
    with open_store(db_path.with_name("direct.sqlite")) as direct, stepped.connect() as a, direct.engine.connect() as b:
        assert _schema_sql(a) == _schema_sql(b)
    stepped.dispose()


def _schema_sql(conn) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return conn.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    ).all()


# --- the SQLModel classes and the migrations describe the same schema ---------------------------


def _model_tables() -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        if mapper.class_.__module__.startswith("app.models"):
            table = mapper.local_table
            assert isinstance(table, Table)
            tables[table.name] = table
    return tables


def _is_search_index(name: str) -> bool:
    # The FTS5 tables and their shadow tables belong to the search backend, not to the models.
    return name in ("article_fts", "article_symbols") or name.startswith(("article_fts_", "article_symbols_"))


@pytest.fixture
def migrated(db_path: Path) -> Iterator[object]:
    with open_store(db_path) as store:
        yield inspect(store.engine)


def test_models_and_migrations_have_the_same_tables(migrated) -> None:  # type: ignore[no-untyped-def]
    in_db = {t for t in migrated.get_table_names() if t != "alembic_version" and not _is_search_index(t)}
    assert in_db == set(_model_tables())


def test_models_and_migrations_have_the_same_columns(migrated) -> None:  # type: ignore[no-untyped-def]
    for name, table in _model_tables().items():
        in_db = {c["name"]: c for c in migrated.get_columns(name)}
        assert list(in_db) == [c.name for c in table.columns], name
        for col in table.columns:
            assert in_db[col.name]["nullable"] == col.nullable, f"{name}.{col.name} nullable"
            assert in_db[col.name]["type"]._type_affinity is col.type._type_affinity, f"{name}.{col.name} type"
        assert migrated.get_pk_constraint(name)["constrained_columns"] == [c.name for c in table.primary_key], name


# The index on length(text) (migration 0006) lives in SQLite only, like the triggers that read it.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_models_and_migrations_have_the_same_keys_and_indexes(migrated) -> None:  # type: ignore[no-untyped-def]
    for name, table in _model_tables().items():
        model_indexes = {i.name: ([c.name for c in i.columns], bool(i.unique)) for i in table.indexes}
        db_indexes = {i["name"]: (list(i["column_names"]), bool(i["unique"])) for i in migrated.get_indexes(name)}
        assert db_indexes == model_indexes, name

        model_unique = sorted(tuple(c.name for c in k.columns) for k in table.constraints if isinstance(k, UniqueConstraint))
        db_unique = sorted(tuple(u["column_names"]) for u in migrated.get_unique_constraints(name))
        assert db_unique == model_unique, name

        model_fks = sorted(
            (tuple(e.parent.name for e in k.elements), k.elements[0].column.table.name, k.ondelete)
            for k in table.constraints
            if isinstance(k, ForeignKeyConstraint)
        )
        # SQLAlchemy reads ON DELETE from table constraints only; a column added with its reference
        # (span.entity_id, 0010) has it in SQLite's own list.
        with migrated.bind.connect() as conn:
            on_delete = {(r[3],): r[6] for r in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{name}")')
                         if r[6] != "NO ACTION"}
        db_fks = sorted(
            (tuple(f["constrained_columns"]), f["referred_table"],
             f["options"].get("ondelete") or on_delete.get(tuple(f["constrained_columns"])))
            for f in migrated.get_foreign_keys(name)
        )
        assert db_fks == model_fks, name

        # The migrations may check more than the models declare, never less.
        model_checks = {k.name for k in table.constraints if isinstance(k, CheckConstraint)}
        assert model_checks <= {c["name"] for c in migrated.get_check_constraints(name)}, name
