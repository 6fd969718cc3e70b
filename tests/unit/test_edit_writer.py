"""The writer thread that stores the window's edits, against a real second process holding the lock."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from app.core.db.edit_writer import EditWriter
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.validation import NewArticle
from tests.lock_holder import write_lock_held_by_another_process

pytestmark = pytest.mark.slow  # every test starts another process that holds the write lock

TEXT = "Hugo Touvron stays at Meta. Mistral was founded in Paris by Guillaume Lample."


def _article(store) -> int:
    [outcome] = store_articles(store, [NewArticle(text=TEXT, title="t", source_kind="paste")])
    return outcome.article_id


def _add(article_id: int, word: str, span_id: int):
    start = TEXT.index(word)
    return lambda s: span_edits.add_span(s, article_id, start, start + len(word), "ORG", annotator="ana",
                                          span_id=span_id)


def _stored(store) -> list[tuple[int, str]]:
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, text FROM span ORDER BY created_at, id"))]


def test_writes_wait_for_the_lock_and_are_stored_in_order(store) -> None:
    article_id = _article(store)
    writer = EditWriter(store)
    results: list[tuple[str, BaseException | None]] = []
    try:
        with write_lock_held_by_another_process(store.path) as other:
            for n, word in enumerate(("Meta", "Mistral", "Paris")):
                writer.submit(_add(article_id, word, -1 - n), lambda error, w=word: results.append((w, error)))
            time.sleep(0.3)
            assert results == [] and not writer.idle()  # still waiting: nothing failed, nothing lost
            other.release()
            assert writer.wait_until_idle(10)
    finally:
        writer.close(10)
    assert results == [("Meta", None), ("Mistral", None), ("Paris", None)]
    assert _stored(store) == [(-1, "Meta"), (-2, "Mistral"), (-3, "Paris")]


def test_a_failed_write_drops_the_writes_made_on_top_of_it(store) -> None:
    article_id = _article(store)
    writer = EditWriter(store, lock_timeout_s=0.2)
    results: list[tuple[str, str | None]] = []
    done = threading.Event()
    try:
        with write_lock_held_by_another_process(store.path):
            writer.submit(_add(article_id, "Meta", -1), lambda e: results.append(("Meta", e and str(e))))
            writer.submit(_add(article_id, "Mistral", -2), lambda e: results.append(("Mistral", e and str(e))))
            assert writer.wait_until_idle(10)
        assert writer.has_failed(0) and not writer.has_failed(1)  # what an edit stored at once asks first
        # The caller heard of the failure and starts a new generation: its writes go through.
        writer.submit(_add(article_id, "Paris", -3), lambda e: (results.append(("Paris", e)), done.set()), 1)
        assert done.wait(10)
    finally:
        writer.close(10)
    assert [w for w, _ in results] == ["Meta", "Paris"]
    assert "locked" in (results[0][1] or "") and results[1][1] is None
    assert _stored(store) == [(-3, "Paris")]
