"""Each annotator's own status of an article: written by labelling and marking, kept by undo, and
backfilled from the dataset's status when an older dataset is upgraded (migration 0015)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.db.store import open_store
from app.core.ingest.storing import NewArticle, store_articles
from app.core.ops import span_edits
from app.core.team import status
from tests.unit.test_suggest_migration import dataset_at

TEXT = "Hugo Touvron stays at Meta. Mistral was founded in Paris by Guillaume Lample."


@pytest.fixture
def article_id(store) -> int:  # type: ignore[no-untyped-def]
    [outcome] = store_articles(store, [NewArticle(text=TEXT, title="t", source_kind="paste")])
    return int(outcome.article_id)


def _own(store, annotator: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with store.begin() as conn:
        return dict(conn.execute(text("SELECT article_id, status FROM article_status WHERE annotator = :w "
                                      "ORDER BY article_id"), {"w": annotator}).all())


def test_labelling_starts_the_article_for_that_annotator_only(store, article_id: int) -> None:  # type: ignore[no-untyped-def]
    span_edits.add_span(store, article_id, 0, 4, "PERSON", annotator="ana")
    assert _own(store, "ana") == {article_id: "in_progress"}
    assert _own(store, "ben") == {}
    with store.begin() as conn:
        assert status.own_statuses(conn, [article_id], "ben") == {article_id: "new"}


def test_marking_done_is_the_annotators_own_and_undo_restores_it(store, article_id: int) -> None:  # type: ignore[no-untyped-def]
    span_edits.add_span(store, article_id, 0, 4, "PERSON", annotator="ana")
    changes = span_edits.set_status(store, [article_id], "done", "ana")
    span_edits.set_status(store, [article_id], "skipped", "ben")
    with store.begin() as conn:
        assert status.finished(conn) == {"ana": {article_id}}
        assert status.finished_counts(conn, [article_id]) == {article_id: 1}
    span_edits.restore_statuses(store, changes.before["status"], "ana")
    assert _own(store, "ana") == {article_id: "in_progress"}
    assert _own(store, "ben") == {article_id: "skipped"}
    span_edits.add_span(store, article_id, 22, 26, "ORG", annotator="ben")  # labelling keeps a marked status
    assert _own(store, "ben") == {article_id: "skipped"}


def test_an_older_dataset_gets_the_labellers_status(db_path: Path) -> None:
    dataset_at(db_path, "0014", ((0, 12, 1), (18, 22, 2)), origin="manual")  # one done article, spans by ana
    with open_store(db_path) as store:
        assert _own(store, "ana") == {1: "done"}
        with store.begin() as conn:
            assert status.finished(conn) == {"ana": {1}}
