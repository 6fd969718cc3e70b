"""Two processes creating, upgrading and filling one dataset at the same moment."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

PROCESSES = 3
ROUNDS = 3
ARTICLES_EACH = 20


def _open_and_fill(location: str, worker: int, barrier, results) -> None:
    """Wait for every other process, then open (creating) the dataset and store some articles."""
    try:
        from app.core.db.store import open_store
        from app.core.ingest.storing import store_articles
        from app.core.validation import NewArticle

        barrier.wait(timeout=60)
        store = open_store(location)
        try:
            outcomes = store_articles(store, [
                NewArticle(text=f"Article {n} of process {worker}: Hugo Touvron stays at Meta.",
                           title=f"p{worker}-{n}", source_kind="paste")
                for n in range(ARTICLES_EACH)])
        finally:
            store.close()
        results.put((worker, "ok", sum(o.article_id is not None for o in outcomes)))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        results.put((worker, "error", f"{type(exc).__name__}: {exc}"))


def race(location: str, processes: int = PROCESSES) -> list[tuple[int, str, object]]:
    """Start ``processes`` real processes that all open ``location`` at the same moment."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_open_and_fill, args=(location, n, barrier, results)) for n in range(processes)]
    for w in workers:
        w.start()
    found = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    return sorted(found)


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_processes_creating_one_dataset_at_once_all_succeed(tmp_path: Path, round_: int) -> None:
    path = tmp_path / f"new-{round_}.sqlite"
    found = race(str(path))
    assert found == [(n, "ok", ARTICLES_EACH) for n in range(PROCESSES)]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM article").fetchone() == (PROCESSES * ARTICLES_EACH,)
        from app.core.db import migrations

        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrations.head_revision(),)]
    finally:
        conn.close()
    # Nothing is left behind beside the dataset but SQLite's own files.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(path.name + "-")) == [path.name]


# -- the same against a PostgreSQL server started for these tests ----------------------------------

def empty_database(server_url: str, name: str) -> str:
    """A new, empty database on the test server; its SQLAlchemy URL."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(server_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.mark.parametrize("round_", range(2))
def test_processes_creating_one_postgresql_database_at_once_all_succeed(pg_url: str, round_: int) -> None:
    from sqlalchemy import create_engine, text

    from app.core.db import migrations

    location = empty_database(pg_url, f"race_{round_}")
    found = race(location)
    assert found == [(n, "ok", ARTICLES_EACH) for n in range(PROCESSES)]
    engine = create_engine(location)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM article")).scalar_one() == PROCESSES * ARTICLES_EACH
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == \
                [(migrations.head_revision(),)]
    finally:
        engine.dispose()


def test_an_up_to_date_dataset_opens_without_its_migration_lock_file(tmp_path: Path) -> None:
    """Only creating or upgrading takes the lock: a dataset where no lock file can be made still opens."""
    from app.core.db.store import open_store

    path = tmp_path / "done.sqlite"
    open_store(path).close()
    blocked = tmp_path / "done.sqlite.migrate-lock"
    blocked.mkdir()  # the lock file cannot be created (as in a read-only folder)
    with open_store(path) as store:
        assert store.backup_path is None
    assert blocked.is_dir() and not any(blocked.iterdir())


def test_a_new_dataset_is_created_even_where_no_lock_file_can_be_made(tmp_path: Path, caplog) -> None:
    from app.core.db.store import open_store

    path = tmp_path / "new.sqlite"
    (tmp_path / "new.sqlite.migrate-lock").mkdir()
    with open_store(path) as store:
        assert store.path == path
    assert "going on without the lock" in caplog.text


def test_switching_a_new_dataset_to_wal_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    """SQLite refuses the switch to WAL at once, without its busy handler, while another
    connection holds a write lock on the file; opening waits for it like any other lock."""
    import threading
    import time

    from app.core.db.sqlite_file import configure_sqlite

    path = tmp_path / "new.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (a)")
    writer.execute("BEGIN")
    writer.execute("SELECT * FROM t").fetchall()
    writer.execute("INSERT INTO t VALUES (1)")  # holds the write lock, in rollback-journal mode
    threading.Timer(0.3, lambda: writer.execute("COMMIT")).start()
    opener = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        started = time.monotonic()
        configure_sqlite(opener, 5000)
        assert time.monotonic() - started >= 0.25  # it waited for the writer's commit
        assert opener.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        opener.close()
        writer.close()
