"""Opening what is not a usable dataset: each a real file, each a message naming it and saying what to do."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from app.core.db import migrations
from app.core.db.store import StoreError, check_integrity, describe_db_error, open_store
from app.core.ingest.storing import store_articles
from app.core.ops import library
from app.core.validation import NewArticle
from tests.read_only_mount import run_with_read_only_folder

ROOT = Path(__file__).resolve().parents[2]
PAGE = 4096


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_error(path: Path | str) -> str:
    with pytest.raises(StoreError) as caught:
        open_store(path)
    return str(caught.value)


def make_dataset(path: Path, articles: int = 120) -> Path:
    with open_store(path) as store:
        store_articles(store, [NewArticle(text=f"Article {i}. " + f"Word{i} and more words. " * 120,
                                          title=f"Title {i}", source_kind="paste") for i in range(articles)])
    return path


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "photo.sqlite"
    path.write_bytes(os.urandom(3 * PAGE))
    before = digest(path)
    message = open_error(path)
    assert message.startswith(f"{path} is not an Article Curator dataset: it is not a database file.")
    assert "Open a dataset file instead" in message
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.sqlite"]


def test_a_text_file(tmp_path: Path, sample_text: str) -> None:
    path = tmp_path / "article.txt"
    path.write_text(sample_text, encoding="utf-8")
    before = digest(path)
    message = open_error(path)
    assert str(path) in message and "not an Article Curator dataset" in message
    assert "import it" in message  # the file may hold articles: say how to get them in
    assert digest(path) == before


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_programs_database_is_left_unchanged(tmp_path: Path, journal: str) -> None:
    path = tmp_path / "notes.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO note (body) VALUES (?)", [("first",), ("second",)])
    conn.commit()
    conn.close()
    before = digest(path)
    message = open_error(path)
    assert message == (f"{path} is a database, but not an Article Curator dataset (it has none of its tables); "
                       "it was left unchanged. Open an Article Curator dataset, or create a new one.")
    assert digest(path) == before  # not migrated, not even switched to WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no backup, no -wal, no lock file
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT body FROM note ORDER BY id").fetchall() == [("first",), ("second",)]
    conn.close()


def test_a_hash_or_question_mark_in_the_path_does_not_reach_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "C# notes?v=2 %41"
    folder.mkdir()
    path = folder / "notes.db"
    conn = sqlite3.connect(path)  # a rollback-journal database: read through a read-only URI
    conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    assert "is a database, but not an Article Curator dataset" in open_error(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no stray file cut at "#"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.db"]


def test_a_server_whose_driver_is_missing_is_a_sentence(tmp_path: Path) -> None:
    message = open_error("postgresql+nosuchdriver://curator:secret@db.example.org/team")
    assert "cannot open postgresql databases" in message and "driver is not installed" in message
    assert "secret" not in message


def test_a_dataset_of_a_newer_version(tmp_path: Path) -> None:
    path = make_dataset(tmp_path / "newer.sqlite", articles=1)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = 'f00dcafe9999'")
    conn.commit()
    conn.close()
    before = digest(path)
    message = open_error(path)
    assert message.startswith(f"{path} was made by a newer version of Article Curator, or by another program")
    assert "f00dcafe9999" in message and "Update Article Curator" in message
    assert digest(path) == before


def test_an_empty_file_becomes_a_new_dataset(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with open_store(path) as store:
        assert list(library.label_counts(store)) == ["PERSON", "ORG", "CLAIM"]
        assert migrations.current_revision(store.engine) == migrations.head_revision()


def test_a_database_without_tables_becomes_a_new_dataset(tmp_path: Path) -> None:
    path = tmp_path / "blank.sqlite"
    sqlite3.connect(path).execute("VACUUM")  # a valid, empty SQLite file
    with open_store(path) as store:
        assert library.count_articles(store) == 0


# --- damaged datasets ------------------------------------------------------------------------------


def overwrite(path: Path, offset: int, length: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(b"\xa5" * length)


def test_a_dataset_with_damaged_pages_in_the_middle(tmp_path: Path) -> None:
    path = make_dataset(tmp_path / "damaged.sqlite")
    pages = path.stat().st_size // PAGE
    assert pages > 40
    overwrite(path, pages // 2 * PAGE, 4 * PAGE)
    # Opening reads only the first pages, so it succeeds; the check reads them all.
    with open_store(path) as store:
        problem = check_integrity(store)
    assert problem is not None
    assert problem.startswith(f"{path} is damaged (")
    assert "some articles or spans may be missing" in problem
    assert "Export what you still need" in problem and "backup copy" in problem


def test_a_sound_dataset_passes_the_check(tmp_path: Path) -> None:
    with open_store(make_dataset(tmp_path / "fine.sqlite")) as store:
        assert check_integrity(store) is None


def test_the_check_can_be_cancelled(tmp_path: Path) -> None:
    from app.core.cancel import CancelToken

    path = make_dataset(tmp_path / "damaged.sqlite")
    overwrite(path, path.stat().st_size // PAGE // 2 * PAGE, 4 * PAGE)
    token = CancelToken()
    token.cancel()
    with open_store(path) as store:
        assert check_integrity(store, token) is None  # cancelled: no verdict, although it is damaged
        assert check_integrity(store) is not None


def test_a_dataset_with_a_damaged_schema(tmp_path: Path) -> None:
    path = make_dataset(tmp_path / "damaged.sqlite", articles=3)
    (tmp_path / "damaged.sqlite.before-0003.bak").write_bytes(b"")  # a backup an upgrade left
    overwrite(path, 100, 3000)  # the schema table on the first page
    message = open_error(path)
    assert message.startswith(f"{path} is damaged (")
    assert "Open a backup copy of it instead, such as" in message
    assert str(tmp_path / "damaged.sqlite.before-0003.bak") in message


def test_a_dataset_with_a_damaged_header(tmp_path: Path) -> None:
    path = make_dataset(tmp_path / "damaged.sqlite", articles=3)
    overwrite(path, 0, 100)
    message = open_error(path)
    assert str(path) in message and "not an Article Curator dataset" in message


# --- read-only datasets --------------------------------------------------------------------------


def test_read_only_is_classified_from_sqlites_own_error(tmp_path: Path) -> None:
    """SQLite opened read-only (``mode=ro``) refuses the first write the way a read-only disk does."""
    path = tmp_path / "ro.sqlite"
    path.touch()  # a new dataset: opening it must write the tables
    message = open_error(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert message == (f"{path} is read-only (a write-protected file, or a read-only folder or disk), and "
                       "Article Curator saves every edit into the dataset as it is made. Copy it to a folder "
                       "you can write to (your Documents folder, say) and open the copy.")
    assert not (tmp_path / "file:").exists()  # the URI form is understood as the file it names


def test_describe_db_error_for_real_sqlite_errors(tmp_path: Path) -> None:
    path = make_dataset(tmp_path / "ds.sqlite", articles=1)
    with open_store(f"sqlite:///file:{path}?mode=ro&uri=true") as store:
        assert store.path == path
        with pytest.raises(OperationalError) as caught, store.begin() as conn:
            conn.exec_driver_sql("UPDATE article SET status = 'done'")
    assert "attempt to write a readonly database" in str(caught.value)
    assert describe_db_error(caught.value).startswith("the dataset is read-only")

    with pytest.raises(sqlite3.OperationalError) as cant_open:
        sqlite3.connect(tmp_path / "missing-folder" / "x.sqlite")
    assert describe_db_error(cant_open.value).startswith("the dataset file cannot be opened")


RO_SNIPPET = """
import json, sys
from app.core.ops import library
from app.core.db.store import StoreError, open_store
out = {}
for name in sys.argv[1:]:
    try:
        with open_store(name) as store:
            out[name] = f"opened, read-only: {store.read_only}, articles: {library.count_articles(store)}"
    except StoreError as exc:
        out[name] = str(exc)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_a_dataset_on_a_read_only_disk(tmp_path: Path) -> None:
    """An existing dataset opens for reading; a new one cannot be made there, and says why."""
    disk = tmp_path / "disk"
    disk.mkdir()
    make_dataset(disk / "ds.sqlite", articles=2)
    before = digest(disk / "ds.sqlite")
    existing, new = disk / "ds.sqlite", disk / "new.sqlite"
    result = run_with_read_only_folder(disk, [sys.executable, "-c", RO_SNIPPET, str(existing), str(new)])
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)
    assert messages[str(existing)] == "opened, read-only: True, articles: 2"
    assert messages[str(new)] == (f"Cannot create the dataset {new}: its folder {disk} is read-only. "
                                  "Choose a folder you can write to.")
    assert digest(disk / "ds.sqlite") == before
    assert sorted(p.name for p in disk.iterdir()) == ["ds.sqlite"]


@pytest.mark.slow
def test_the_command_line_names_the_file_without_a_traceback(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / "notes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE note (body TEXT)")
    conn.commit()
    conn.close()
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(isolated_home), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "app", "stats", "--db", str(path)], capture_output=True,
                            text=True, env=env, timeout=120, cwd=ROOT, check=False)
    assert result.returncode == 2
    assert f"{path} is a database, but not an Article Curator dataset" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dataset_in_a_folder_with_url_characters_opens_as_itself(tmp_path: Path) -> None:
    folder = tmp_path / "C# notes?v=2 %41"
    folder.mkdir()
    path = make_dataset(folder / "set.sqlite", articles=2)
    with open_store(path) as store:
        assert store.path == path and library.count_articles(store) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
