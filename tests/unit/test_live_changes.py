"""Change notices on PostgreSQL: every write of another store is heard, with its articles; a store's own
writes are not; a large import is announced as "everything"; and the notices become change records."""

from __future__ import annotations

import queue

import pytest
from sqlalchemy import text

from app.core.changes import ChangeKind
from app.core.db.live import ChangeListener, Notice, changes_of
from app.core.db.store import open_store
from app.core.ingest.storing import NewArticle, store_articles
from app.core.ops import span_edits
from tests.unit.test_concurrent_open import empty_database

TEXT = "Hugo Touvron left Meta. Mistral said the model was open."


def _heard(received: queue.Queue[Notice], seconds: float = 3.0) -> list[Notice]:
    """What arrives within ``seconds`` of the first notice (none: an empty list)."""
    found: list[Notice] = []
    try:
        found.append(received.get(timeout=seconds))
        while True:
            found.append(received.get(timeout=0.5))
    except queue.Empty:
        return found


@pytest.fixture
def two_stores(pg_url: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    location = empty_database(pg_url, request.node.name.replace("[", "_").replace("]", "")[:50].lower())
    mine, theirs = open_store(location), open_store(location)
    yield mine, theirs
    mine.close()
    theirs.close()


def test_another_stores_edits_are_heard_and_my_own_are_not(two_stores) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = two_stores
    assert mine.writer and mine.writer != theirs.writer
    received: queue.Queue[Notice] = queue.Queue()
    listener = ChangeListener(mine.engine.url, mine.writer, received.put)
    listener.start()
    try:
        assert listener.connected.wait(5)
        [outcome] = store_articles(theirs, [NewArticle(text=TEXT, title="t", source_kind="paste")])
        article = outcome.article_id
        heard = _heard(received)
        assert any(n.table == "article" and n.operation == "INSERT" and n.article_ids == (article,) for n in heard)
        span_edits.add_span(theirs, article, 0, 12, "PERSON", annotator="ben")
        heard = _heard(received)
        assert {n.table for n in heard} >= {"span", "article_status"}
        assert all(n.article_ids == (article,) for n in heard if n.table == "span")
        span_edits.add_span(mine, article, 18, 22, "ORG", annotator="ana")
        assert _heard(received, 1.5) == []  # my own write: already on my screen
        with theirs.begin() as conn:
            conn.execute(text("UPDATE label SET color = '#123456' WHERE name = 'ORG'"))
        assert [(n.table, n.article_ids) for n in _heard(received)] == [("label", ())]
    finally:
        listener.stop()


def test_a_large_import_is_announced_as_everything(two_stores) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = two_stores
    received: queue.Queue[Notice] = queue.Queue()
    listener = ChangeListener(mine.engine.url, mine.writer, received.put)
    listener.start()
    try:
        assert listener.connected.wait(5)
        store_articles(theirs, [NewArticle(text=f"{TEXT} {i}", title=f"t{i}", source_kind="paste")
                                for i in range(600)])
        _heard(received)
        with theirs.begin() as conn:  # one statement changing 600 articles
            conn.execute(text("UPDATE article SET title = upper(title)"))
        [heard] = [n for n in _heard(received) if n.table == "article"]
        assert heard.everything and not heard.article_ids
    finally:
        listener.stop()


def test_notices_become_change_records() -> None:
    notices = [Notice("article", "INSERT", (5, 6), False, "x"), Notice("span", "INSERT", (3,), False, "x"),
               Notice("article_status", "UPDATE", (3, 4), False, "x"), Notice("article", "DELETE", (4,), False, "x"),
               Notice("label", "UPDATE", (), False, "x")]
    added, deleted, changed = changes_of(notices)
    assert added.kinds == {ChangeKind.ARTICLES_ADDED} and added.article_ids == (5, 6)
    assert deleted.kinds == {ChangeKind.ARTICLES_DELETED} and deleted.article_ids == (4,)
    assert changed.kinds == {ChangeKind.CHANGED_ELSEWHERE, ChangeKind.LABELS_CHANGED} and changed.article_ids == (3,)
    [everything] = changes_of([Notice("article", "UPDATE", (), True, "x")], open_article=9)
    assert everything.article_ids == (9,) and everything.touches_labels()
    assert changes_of([]) == []
