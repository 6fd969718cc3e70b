"""The edit gateway: every change is validated, saved at once and described for undo."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from app.core.changes import Changes
from app.core.db.store import Store, open_store
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.ops.library import ArticleFilter
from app.core.validation import InvalidInput, NewArticle

TEXT = "Hugo Touvron said Meta will keep funding Llama research through 2026."
HUGO = (0, 12)
META = (18, 22)


@pytest.fixture
def art(store: Store) -> int:
    (out,) = store_articles(store, [NewArticle(text=TEXT, title="Llama team")])
    return out.article_id


def _spans(store: Store, article_id: int) -> list[tuple[int, int, str, str, dict[str, Any]]]:
    detail = library.get_article(store, article_id)
    assert detail is not None
    return sorted((s.start, s.end, s.label, s.annotator, s.attributes) for s in detail.spans)


def _status(store: Store, article_id: int) -> str:
    detail = library.get_article(store, article_id)
    assert detail is not None
    return detail.status


def _readd(store: Store, state: dict[str, Any]) -> Changes:
    """What an undo of a removal does: add the span back from the before-state its Changes record keeps."""
    return span_edits.add_span(
        store, state["article_id"], state["start"], state["end"], state["label"],
        annotator=state["annotator"], origin=state["origin"], attributes=state["attributes"],
    )


def test_add_span_returns_what_changed(store: Store, art: int) -> None:
    change = span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    assert change.kind == "span_added"
    assert change.article_ids == (art,)
    assert isinstance(change.span_id, int)
    assert change.before == {}
    assert change.after == {
        "article_id": art, "start": 0, "end": 12, "label": "PERSON", "text": "Hugo Touvron",
        "annotator": "ann", "origin": "manual", "attributes": {}, "entity_id": None, "claimant_id": None,
    }
    detail = library.get_article(store, art)
    assert detail is not None
    (span,) = detail.spans
    assert (span.id, span.text, span.label, span.annotator) == (change.span_id, "Hugo Touvron", "PERSON", "ann")


def test_add_span_is_saved_immediately(db_path, art: int, store: Store) -> None:  # type: ignore[no-untyped-def]
    span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    # Another connection (another instance of the app) sees it without any "save".
    with open_store(db_path) as other:
        assert library.label_counts(other)["PERSON"] == 1


def test_claim_attributes_are_stored(store: Store, art: int) -> None:
    attrs = {"claimant": "Hugo Touvron", "verdict": "unverified", "note": "said on a podcast"}
    change = span_edits.add_span(store, art, 0, len(TEXT) - 1, "CLAIM", annotator="ann", attributes=attrs)
    assert change.after["attributes"] == attrs
    assert _spans(store, art) == [(0, len(TEXT) - 1, "CLAIM", "ann", attrs)]


def test_remove_then_undo_restores_the_span(store: Store, art: int) -> None:
    attrs = {"claimant": "Hugo Touvron", "verdict": "true", "note": ""}
    span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    added = span_edits.add_span(store, art, 0, 40, "CLAIM", annotator="ann", origin="suggested", attributes=attrs)
    before = _spans(store, art)

    removed = span_edits.remove_span(store, added.span_id)  # type: ignore[arg-type]
    assert removed.kind == "span_removed"
    assert removed.article_ids == (art,)
    assert removed.span_id == added.span_id
    assert removed.before == added.after  # everything needed to put it back
    assert _spans(store, art) == [(0, 12, "PERSON", "ann", {})]

    restored = _readd(store, removed.before)
    assert _spans(store, art) == before
    assert restored.after == added.after
    # Redo of the removal works on the restored span's new id.
    span_edits.remove_span(store, restored.span_id)  # type: ignore[arg-type]
    assert span_edits.count_spans(store, [art]) == 1


def test_update_label_and_undo(store: Store, art: int) -> None:
    added = span_edits.add_span(store, art, *META, "PERSON", annotator="ann")
    change = span_edits.update_span(store, added.span_id, label="ORG")  # type: ignore[arg-type]
    assert change.kind == "span_changed"
    assert change.before["label"] == "PERSON"
    assert change.after["label"] == "ORG"
    assert change.after["text"] == "Meta"
    assert _spans(store, art) == [(18, 22, "ORG", "ann", {})]
    undo = span_edits.update_span(store, added.span_id, label=change.before["label"])  # type: ignore[arg-type]
    assert undo.after["label"] == "PERSON"
    assert _spans(store, art) == [(18, 22, "PERSON", "ann", {})]


def test_update_attributes_and_undo(store: Store, art: int) -> None:
    first = {"claimant": "Hugo Touvron", "verdict": "", "note": ""}
    added = span_edits.add_span(store, art, 0, 40, "CLAIM", annotator="ann", attributes=first)
    span_id = added.span_id
    assert span_id is not None
    second = {"claimant": "Hugo Touvron", "verdict": "false", "note": "Meta denied it."}
    change = span_edits.update_span(store, span_id, attributes=second)
    assert change.before["attributes"] == first
    assert change.after["attributes"] == second
    assert change.after["label"] == change.before["label"] == "CLAIM"
    assert _spans(store, art)[0][4] == second

    span_edits.update_span(store, span_id, attributes=change.before["attributes"])
    assert _spans(store, art)[0][4] == first


def test_update_label_and_attributes_together(store: Store, art: int) -> None:
    added = span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    change = span_edits.update_span(
        store, added.span_id, label="CLAIM", attributes={"claimant": "x", "verdict": "y", "note": "z"}  # type: ignore[arg-type]
    )
    assert (change.after["label"], change.after["attributes"]) == ("CLAIM", {"claimant": "x", "verdict": "y", "note": "z"})
    span_edits.update_span(
        store, added.span_id, label=change.before["label"], attributes=change.before["attributes"]  # type: ignore[arg-type]
    )
    assert _spans(store, art) == [(0, 12, "PERSON", "ann", {})]


def test_update_to_a_label_already_on_those_words_is_refused(store: Store, art: int) -> None:
    span_edits.add_span(store, art, *META, "ORG", annotator="ann")
    other = span_edits.add_span(store, art, *META, "PERSON", annotator="ann")
    with pytest.raises(InvalidInput, match="“Meta” is already labelled ORG"):
        span_edits.update_span(store, other.span_id, label="ORG")  # type: ignore[arg-type]
    assert _spans(store, art) == [(18, 22, "ORG", "ann", {}), (18, 22, "PERSON", "ann", {})]


def test_set_status_and_restore(store: Store) -> None:
    outs = store_articles(store, [NewArticle(text=f"Article {i}.") for i in range(4)])
    ids = [o.article_id for o in outs]
    span_edits.set_status(store, [ids[0]], "done")
    span_edits.set_status(store, [ids[1]], "skipped")

    change = span_edits.set_status(store, ids, "in_progress")
    assert change.kind == "status_changed"
    assert change.article_ids == tuple(ids)
    assert change.before == {"status": {ids[0]: "done", ids[1]: "skipped", ids[2]: "new", ids[3]: "new"}}
    assert change.after == {"status": "in_progress"}
    assert {_status(store, i) for i in ids} == {"in_progress"}

    undo = span_edits.restore_statuses(store, change.before["status"])
    assert undo.kind == "status_changed"
    assert [_status(store, i) for i in ids] == ["done", "skipped", "new", "new"]


def test_set_status_on_many_articles(store: Store) -> None:
    # More ids than one SQL statement takes at once.
    outs = store_articles(store, [NewArticle(text=f"Bulk article {i}.") for i in range(1200)])
    ids = [o.article_id for o in outs]
    change = span_edits.set_status(store, ids, "done")
    assert len(change.before["status"]) == 1200
    assert library.status_counts(store) == {"done": 1200}


def test_set_status_refuses_unknown_status(store: Store, art: int) -> None:
    with pytest.raises(InvalidInput, match="Unknown status 'finished'"):
        span_edits.set_status(store, [art], "finished")
    assert _status(store, art) == "new"


def test_first_span_moves_new_to_in_progress(store: Store, art: int) -> None:
    assert _status(store, art) == "new"
    span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    assert _status(store, art) == "in_progress"


def test_a_span_does_not_reopen_done_or_skipped(store: Store, art: int) -> None:
    for status in ("done", "skipped"):
        span_edits.set_status(store, [art], status)
        change = span_edits.add_span(store, art, *HUGO, "PERSON", annotator=status)
        assert _status(store, art) == status
        span_edits.remove_span(store, change.span_id)  # type: ignore[arg-type]
        assert _status(store, art) == status


def test_edits_move_the_article_to_the_top_of_recently_updated(store: Store) -> None:
    outs = store_articles(store, [NewArticle(text=f"Article {i}.") for i in range(3)])
    first = outs[0].article_id
    span_edits.add_span(store, first, 0, 7, "ORG", annotator="ann")
    (top,) = library.list_articles(store, sort="updated", descending=True, limit=1)
    assert top.id == first


def test_count_spans(store: Store) -> None:
    outs = store_articles(store, [NewArticle(text=f"Some article number {i}.") for i in range(3)])
    a, b, c = (o.article_id for o in outs)
    span_edits.add_span(store, a, 0, 4, "PERSON", annotator="x")
    span_edits.add_span(store, a, 5, 12, "ORG", annotator="x")
    span_edits.add_span(store, b, 0, 4, "CLAIM", annotator="x")
    assert span_edits.count_spans(store, [a]) == 2
    assert span_edits.count_spans(store, [a, b, c]) == 3
    assert span_edits.count_spans(store, [c]) == 0
    assert span_edits.count_spans(store, []) == 0


def test_delete_articles_removes_them_from_search(store: Store) -> None:
    outs = store_articles(
        store,
        [NewArticle(text="Llama researchers leave Meta.", title="Exodus"),
         NewArticle(text="Meta shares rise.", title="Markets"),
         NewArticle(text="Mistral grows.", title="Startups")],
    )
    gone, kept, other = (o.article_id for o in outs)
    span_edits.add_span(store, gone, 0, 5, "ORG", annotator="ann")
    change = span_edits.delete_articles(store, [gone, other])
    assert change.kind == "articles_deleted"
    assert change.article_ids == (gone, other)
    assert [r.id for r in library.search(store, "meta")] == [kept]
    assert library.search(store, "llama") == []
    assert library.search(store, "mistral") == []
    assert library.count_articles(store, ArticleFilter(query="meta")) == 1
    assert library.get_article(store, gone) is None
    assert span_edits.count_spans(store, [gone]) == 0
    with store.begin() as conn:
        # The index itself is consistent with its content table.
        conn.exec_driver_sql("INSERT INTO article_fts(article_fts, rank) VALUES('integrity-check', 1)")


def test_deleting_nothing_is_harmless(store: Store, art: int) -> None:
    span_edits.delete_articles(store, [])
    span_edits.delete_articles(store, [987654])
    assert library.count_articles(store) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, a: span_edits.add_span(s, a, 0, 5, "NOPE", annotator="x"), "There is no label called NOPE."),
        (lambda s, a: span_edits.add_span(s, 987654, 0, 5, "ORG", annotator="x"), "Article 987654 no longer exists."),
        (lambda s, a: span_edits.add_span(s, a, 5, 2, "ORG", annotator="x"), "span 5-2 is empty or reversed"),
        (lambda s, a: span_edits.add_span(s, a, 0, 500, "ORG", annotator="x"), "ends past the end of the text"),
        (lambda s, a: span_edits.add_span(s, a, 0, 5, "", annotator="x"), "label"),
        (lambda s, a: span_edits.add_span(s, a, 0, 5, "ORG", annotator="x", origin="robot"), "origin must be one of"),
        (lambda s, a: span_edits.remove_span(s, 987654), "Span 987654 no longer exists."),
        (lambda s, a: span_edits.update_span(s, 987654, label="ORG"), "Span 987654 no longer exists."),
        (lambda s, a: span_edits.set_status(s, [a], ""), "Unknown status"),
    ],
    ids=["unknown-label", "missing-article", "reversed", "past-end", "empty-label", "bad-origin",
         "remove-missing", "update-missing", "empty-status"],
)
def test_errors_are_readable(store: Store, art: int, call: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call(store, art)
    assert message in str(info.value)
    # A refused edit leaves nothing behind.
    assert span_edits.count_spans(store, [art]) == 0
    assert _status(store, art) == "new"


def test_update_to_unknown_label_changes_nothing(store: Store, art: int) -> None:
    added = span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    with pytest.raises(InvalidInput, match="There is no label called NOPE"):
        span_edits.update_span(store, added.span_id, label="NOPE", attributes={"a": 1})  # type: ignore[arg-type]
    assert _spans(store, art) == [(0, 12, "PERSON", "ann", {})]


def test_gateway_writes_leave_consistent_timestamps(store: Store, art: int) -> None:
    """Plain-SQL writes store timestamps in the same text form as the ORM does."""
    span_edits.add_span(store, art, *HUGO, "PERSON", annotator="ann")
    with store.begin() as conn:
        stamps = [r[0] for r in conn.execute(text("SELECT updated_at FROM article UNION ALL SELECT updated_at FROM span"))]
    for stamp in stamps:
        assert len(stamp) == len("2026-01-01 00:00:00.000000"), stamp
