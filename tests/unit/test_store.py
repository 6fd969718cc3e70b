"""Opening a dataset, connection settings, default labels and the database's own guarantees."""

from __future__ import annotations

import os
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import platformdirs
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core import paths
from app.core.db.store import BUSY_TIMEOUT_MS, Store, StoreError, open_store
from app.core.ingest.storing import store_article, store_articles
from app.core.ops import library, span_edits
from app.core.validation import InvalidInput, NewArticle, NewSpan
from app.models import db_timestamp

TEXT = "Timothée Lacroix co-founded Mistral in Paris after leaving Meta."


def _article(store: Store, text_: str = TEXT, **kw: object) -> int:
    out = store_article(store, NewArticle(text=text_, **kw))
    assert out.outcome == "imported"
    return out.article_id


def _pragmas(conn) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


def _raw_span(conn, article_id: int, start: int, end: int, label_id: int = 1, annotator: str = "") -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            'INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
            "created_at, updated_at) VALUES (:a, :s, :e, :l, 'x', :who, 'manual', '{}', :now, :now)"
        ),
        {"a": article_id, "s": start, "e": end, "l": label_id, "who": annotator, "now": db_timestamp()},
    )


# --- where datasets live -------------------------------------------------------------------------


def test_default_dataset_is_created_in_the_data_folder(isolated_home: Path) -> None:
    with open_store() as store:
        assert store.path is not None
        assert store.path == paths.default_dataset_path().resolve()
        assert store.path.is_file()
        # conftest redirects the platform folders: the real profile is never touched.
        assert store.path.is_relative_to(isolated_home / "data")


def test_without_the_override_the_data_folder_is_the_platform_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.HOME_ENV)
    expected = Path(platformdirs.user_data_dir(paths.APP_DIR_NAME, appauthor=False))
    assert paths.data_dir() == expected
    assert paths.default_dataset_path().is_relative_to(expected)


def test_db_path_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "deeper" / "my dataset.sqlite"
    with open_store(target) as store:
        assert store.path == target.resolve()
    assert target.is_file()


def test_relative_db_path_is_relative_to_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("relative.sqlite") as store:
        assert store.path == (tmp_path / "relative.sqlite").resolve()
    assert (tmp_path / "relative.sqlite").is_file()


def test_db_environment_variable_picks_the_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env.sqlite"
    monkeypatch.setenv(paths.DB_ENV, str(target))
    with open_store() as store:
        assert store.path == target.resolve()
    assert target.is_file()


# --- connection settings -------------------------------------------------------------------------

EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": BUSY_TIMEOUT_MS}


def test_pragmas_on_every_connection(store: Store) -> None:
    # Connections held at the same time are distinct DBAPI connections: each one
    # the pool opens must be configured, not only the first.
    with ExitStack() as stack:
        conns = [stack.enter_context(store.begin()) for _ in range(6)]
        assert len({id(c.connection.dbapi_connection) for c in conns}) == 6
        for conn in conns:
            assert _pragmas(conn) == EXPECTED_PRAGMAS
    # ... and still configured when they come back from the pool.
    for _ in range(3):
        with store.begin() as conn:
            assert _pragmas(conn) == EXPECTED_PRAGMAS


def test_pragmas_in_another_thread(store: Store) -> None:
    seen: list[dict[str, object]] = []

    def work() -> None:
        with store.begin() as conn:
            seen.append(_pragmas(conn))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [EXPECTED_PRAGMAS]


# --- default labels ------------------------------------------------------------------------------


def test_default_labels(store: Store) -> None:
    with store.begin() as conn:
        rows = conn.execute(text("SELECT name, kind, shortcut FROM label ORDER BY position")).all()
    assert [tuple(r) for r in rows] == [("PERSON", "entity", "1"), ("ORG", "entity", "2"), ("CLAIM", "claim", "3")]
    assert list(library.label_counts(store)) == ["PERSON", "ORG", "CLAIM"]


# --- constraints ---------------------------------------------------------------------------------


def test_the_same_span_twice_is_refused(store: Store) -> None:
    art = _article(store)
    span_edits.add_span(store, art, 0, 16, "PERSON", annotator="ann")
    with pytest.raises(InvalidInput, match="already labelled PERSON"):
        span_edits.add_span(store, art, 0, 16, "PERSON", annotator="ann")
    # Another annotator may label the same words: that is a second opinion, not a duplicate.
    span_edits.add_span(store, art, 0, 16, "PERSON", annotator="other")
    assert span_edits.count_spans(store, [art]) == 2


def test_the_same_span_twice_is_refused_by_the_database(store: Store) -> None:
    art = _article(store)
    with store.begin() as conn:
        _raw_span(conn, art, 0, 16, annotator="ann")
    with pytest.raises(IntegrityError), store.begin() as conn:
        _raw_span(conn, art, 0, 16, annotator="ann")
    assert span_edits.count_spans(store, [art]) == 1


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, 5, "empty or reversed"),
        (6, 5, "empty or reversed"),
        (-1, 3, "greater than or equal to 0"),
        (0, len(TEXT) + 1, "past the end of the text"),
        (len(TEXT), len(TEXT) + 1, "past the end of the text"),
    ],
)
def test_bad_ranges_are_refused_at_the_boundary(store: Store, start: int, end: int, message: str) -> None:
    art = _article(store)
    with pytest.raises(InvalidInput, match=message):
        span_edits.add_span(store, art, start, end, "PERSON", annotator="ann")
    assert span_edits.count_spans(store, [art]) == 0


def test_ranges_at_the_edges_are_accepted(store: Store) -> None:
    art = _article(store)
    span_edits.add_span(store, art, 0, 1, "PERSON", annotator="ann")
    change = span_edits.add_span(store, art, len(TEXT) - 1, len(TEXT), "ORG", annotator="ann")
    assert change.after["text"] == TEXT[-1]
    span_edits.add_span(store, art, 0, len(TEXT), "CLAIM", annotator="ann")
    assert span_edits.count_spans(store, [art]) == 3


def test_spans_validate_against_the_text_on_import() -> None:
    with pytest.raises(InvalidInput, match="past the end"):
        NewSpan(start=0, end=len(TEXT) + 1, label="PERSON").check_against(TEXT)
    with pytest.raises(InvalidInput, match="says 'Paris' but the text there is"):
        NewSpan(start=0, end=5, label="ORG", text="Paris").check_against(TEXT)


@pytest.mark.parametrize(
    ("start", "end"),
    [(5, 5), (6, 5), (-1, 3), (0, len(TEXT) + 1), (len(TEXT), len(TEXT) + 1)],
)
def test_bad_ranges_are_refused_by_the_database(store: Store, start: int, end: int) -> None:
    """Raw SQL (an older build, a script, a bug) cannot store a span outside its text either."""
    art = _article(store)
    with pytest.raises(IntegrityError), store.begin() as conn:
        _raw_span(conn, art, start, end)
    with store.begin() as conn:
        _raw_span(conn, art, len(TEXT) - 1, len(TEXT))  # the very last character is fine
    assert span_edits.count_spans(store, [art]) == 1


def test_the_database_counts_characters_not_bytes(store: Store) -> None:
    # "é" and "’" are several bytes in UTF-8; offsets are Python string offsets.
    text_ = "Café’s owner"
    art = _article(store, text_)
    with store.begin() as conn:
        _raw_span(conn, art, 0, len(text_))
    with pytest.raises(IntegrityError), store.begin() as conn:
        _raw_span(conn, art, 1, len(text_) + 1)


def test_span_end_cannot_be_moved_past_the_text_by_update(store: Store) -> None:
    art = _article(store)
    with store.begin() as conn:
        _raw_span(conn, art, 0, 5)
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(text('UPDATE span SET "end" = :e WHERE article_id = :a'), {"e": len(TEXT) + 1, "a": art})
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(text('UPDATE span SET start = 7, "end" = 6 WHERE article_id = :a'), {"a": art})


def test_overlapping_and_nested_spans_of_different_labels(store: Store) -> None:
    art = _article(store)
    person = TEXT.index("Timothée Lacroix")
    org = TEXT.index("Mistral")
    changes = [
        span_edits.add_span(store, art, 0, len(TEXT), "CLAIM", annotator="ann"),  # contains the others
        span_edits.add_span(store, art, person, person + len("Timothée Lacroix"), "PERSON", annotator="ann"),
        span_edits.add_span(store, art, org, org + len("Mistral"), "ORG", annotator="ann"),
        span_edits.add_span(store, art, person, person + len("Timothée Lacroix"), "ORG", annotator="ann"),
        span_edits.add_span(store, art, person + 9, org + 3, "ORG", annotator="ann"),  # crosses two others
    ]
    detail = library.get_article(store, art)
    assert detail is not None
    assert len(detail.spans) == len(changes)
    assert {(s.start, s.end, s.label) for s in detail.spans} == {
        (c.after["start"], c.after["end"], c.after["label"]) for c in changes
    }
    for s in detail.spans:
        assert s.text == TEXT[s.start : s.end]


def test_deleting_an_article_cascades_to_spans_and_source(store: Store) -> None:
    keep = _article(store, "An article that stays.")
    art = _article(store, source_bytes=b"<html>" + TEXT.encode() + b"</html>", content_type="text/html")
    for a in (keep, art):
        span_edits.add_span(store, a, 0, 2, "PERSON", annotator="ann")
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_source")).scalar_one() == 1
    span_edits.delete_articles(store, [art])
    with store.begin() as conn:
        assert conn.execute(text("SELECT article_id FROM span")).scalars().all() == [keep]
        assert conn.execute(text("SELECT count(*) FROM article_source")).scalar_one() == 0


def test_deleting_with_raw_sql_cascades_too(store: Store) -> None:
    art = _article(store, source_bytes=b"<p>x</p>")
    span_edits.add_span(store, art, 0, 2, "PERSON", annotator="ann")
    with store.begin() as conn:
        store.search.unindex(conn, [art])
        conn.execute(text("DELETE FROM article WHERE id = :i"), {"i": art})
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM span")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM article_source")).scalar_one() == 0


def test_a_label_in_use_cannot_be_deleted(store: Store) -> None:
    art = _article(store)
    span_edits.add_span(store, art, 0, 2, "PERSON", annotator="ann")
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(text("DELETE FROM label WHERE name = 'PERSON'"))


def test_unknown_status_is_refused_by_the_database(store: Store) -> None:
    art = _article(store)
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(text("UPDATE article SET status = 'whatever' WHERE id = :i"), {"i": art})


# --- files that are not datasets -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(os.urandom(4096), id="random-bytes"),
        pytest.param(b"Just some notes, not a database.\n" * 40, id="text-file"),
        pytest.param(b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 100, id="damaged-header"),
    ],
)
def test_a_file_that_is_not_a_dataset(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "notes.txt"
    target.write_bytes(content)
    with pytest.raises(StoreError) as info:
        open_store(target)
    message = str(info.value)
    assert "notes.txt" in message
    assert "not an Article Curator dataset" in message
    # Refusing a file must not change it.
    assert target.read_bytes() == content


def test_a_folder_is_not_a_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "some folder"
    folder.mkdir()
    with pytest.raises(StoreError) as info:
        open_store(folder)
    assert "some folder" in str(info.value)
    assert "folder" in str(info.value)


def test_a_bad_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Not a dataset path or database address"):
        open_store("not a scheme://what")


# --- two instances of the app on one dataset -----------------------------------------------------


def test_two_stores_on_one_file_both_work(db_path: Path) -> None:
    with open_store(db_path) as first, open_store(db_path) as second:
        assert first.backup_path is None and second.backup_path is None
        a = _article(first, "Written by the first instance.")
        b = _article(second, "Written by the second instance.")
        span_edits.add_span(second, a, 0, 7, "PERSON", annotator="two")
        span_edits.add_span(first, b, 0, 7, "ORG", annotator="one")
        for s in (first, second):
            assert library.count_articles(s) == 2
            assert [r.id for r in library.search(s, "instance")] != []
            assert library.label_counts(s)["PERSON"] == 1
            assert library.label_counts(s)["ORG"] == 1


def test_one_instance_writes_while_the_other_reads(db_path: Path) -> None:
    with open_store(db_path) as writer, open_store(db_path) as reader:
        store_articles(writer, [NewArticle(text=f"Article number {i} in the first batch.") for i in range(50)])
        with reader.begin() as rconn:
            result = rconn.execute(text("SELECT id FROM article ORDER BY id"))
            first = result.fetchone()  # the statement is open: a read transaction is in progress
            assert first is not None
            started = time.monotonic()
            # With a rollback journal this commit would wait for the reader (busy_timeout, then fail);
            # with WAL the writer goes ahead at once.
            _article(writer, "Stored while the other instance is reading.")
            assert time.monotonic() - started < BUSY_TIMEOUT_MS / 1000 / 2
            # The reader keeps its consistent snapshot until its statement ends.
            assert len(result.fetchall()) == 49
        assert library.count_articles(reader) == 51


def test_instances_in_threads_write_concurrently(db_path: Path) -> None:
    """Two writers at once: the busy timeout makes one wait instead of failing."""
    with open_store(db_path) as a, open_store(db_path) as b:
        errors: list[BaseException] = []

        def write(store: Store, tag: str) -> None:
            try:
                for i in range(20):
                    store_articles(store, [NewArticle(text=f"{tag} article {i}, item {j}.") for j in range(5)])
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(s, tag)) for s, tag in ((a, "alpha"), (b, "beta"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert library.count_articles(a) == library.count_articles(b) == 200
