"""Labelling many ranges at once (every occurrence of a name) and removing them again, on a real dataset file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from app.core.db import span_json
from app.core.db.store import Store, open_store
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.ops.selection import find_occurrences
from app.core.validation import InvalidInput, NewArticle

TEXT = " ".join(["Meta said on Monday that Meta will fund Llama, and Meta 📈 agreed."] * 40)
META = find_occurrences(TEXT, "Meta")


@pytest.fixture
def art(store: Store) -> int:
    (out,) = store_articles(store, [NewArticle(text=TEXT, title="Meta and Llama")])
    return out.article_id


@contextmanager
def counting(store: Store) -> Iterator[dict[str, int]]:
    """Counts the SQL statements (an executemany is one) and the commits made inside the block."""
    seen = {"insert": 0, "delete": 0, "commit": 0}

    def statement(_conn, _cursor, sql: str, *_args) -> None:
        if "article_status" in sql:
            return  # the annotator's own status of the article: one row, not a statement per span
        for word in ("insert", "delete"):
            seen[word] += sql.lstrip().lower().startswith(word)

    def commit(_conn) -> None:
        seen["commit"] += 1

    event.listen(store.engine, "before_cursor_execute", statement)
    event.listen(store.engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", statement)
        event.remove(store.engine, "commit", commit)


def stored(store: Store, article_id: int) -> list[tuple[int, int, str, str, str]]:
    detail = library.get_article(store, article_id)
    assert detail is not None
    return [(s.start, s.end, s.label, s.text, s.annotator) for s in detail.spans]


def test_add_spans_is_one_statement_and_one_commit(store: Store, art: int) -> None:
    assert len(META) == 120
    with counting(store) as seen:
        change = span_edits.add_spans(store, art, META, "ORG", annotator="ann")
    assert seen == {"insert": 1, "delete": 0, "commit": 1}
    assert change.kind == "spans_added" and change.article_ids == (art,) and change.span_id is None
    assert [(s["start"], s["end"], s["text"], s["label"]) for s in change.after["spans"]] == \
        [(s, e, "Meta", "ORG") for s, e in META]
    assert stored(store, art) == [(s, e, "ORG", "Meta", "ann") for s, e in META]
    detail = library.get_article(store, art)
    assert detail is not None
    assert [s.id for s in detail.spans] == list(change.span_ids)
    assert detail.status == "in_progress"  # as after a single span


def test_remove_spans_takes_them_all_back_in_one_commit(store: Store, art: int) -> None:
    kept = span_edits.add_span(store, art, *META[0], "PERSON", annotator="ann")
    added = span_edits.add_spans(store, art, META, "ORG", annotator="ann")
    with counting(store) as seen:
        removed = span_edits.remove_spans(store, added.span_ids)
    assert seen["commit"] == 1 and seen["delete"] == 1  # 120 ids: one statement per 500
    assert removed.kind == "spans_removed" and removed.span_ids == added.span_ids
    assert [(s["start"], s["label"]) for s in removed.before["spans"]] == [(s, "ORG") for s, _e in META]
    assert stored(store, art) == [(*META[0], "PERSON", "Meta", "ann")]
    assert kept.span_id in {s.id for s in library.get_article(store, art).spans}  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="120 of the 120 spans no longer exist"):
        span_edits.remove_spans(store, added.span_ids)


def test_ranges_already_labelled_are_left_alone(store: Store, art: int) -> None:
    first = span_edits.add_span(store, art, *META[3], "ORG", annotator="ann")
    theirs = span_edits.add_span(store, art, *META[4], "ORG", annotator="other")  # a second opinion
    change = span_edits.add_spans(store, art, META + [META[5]], "ORG", annotator="ann")
    assert len(change.span_ids) == len(META) - 1 and first.span_id not in change.span_ids
    assert (META[3][0], META[3][1]) not in [(s["start"], s["end"]) for s in change.after["spans"]]
    assert len(stored(store, art)) == len(META) + 1
    assert theirs.span_id not in change.span_ids
    again = span_edits.add_spans(store, art, META, "ORG", annotator="ann")
    assert again.span_ids == () and again.after == {"spans": []}


@pytest.mark.parametrize(
    ("bad", "message"),
    [((5, 2), "span 5-2 is empty or reversed"), ((0, len(TEXT) + 1), "ends past the end of the text"),
     ((-1, 3), "greater than or equal to 0")],
    ids=["reversed", "past-end", "negative"],
)
def test_one_bad_range_stores_nothing(store: Store, art: int, bad: tuple[int, int], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        span_edits.add_spans(store, art, [*META, bad], "ORG", annotator="ann")
    assert stored(store, art) == []
    with pytest.raises(InvalidInput, match="There is no label called NOPE"):
        span_edits.add_spans(store, art, META, "NOPE", annotator="ann")
    with pytest.raises(InvalidInput, match="Article 987654 no longer exists"):
        span_edits.add_spans(store, 987654, META, "ORG", annotator="ann")


def test_bulk_edits_drop_the_ready_made_export_list(store: Store, art: int) -> None:
    span_edits.add_span(store, art, *META[0], "PERSON", annotator="ann")
    span_json.refresh_articles(store, [art])
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_span_json")).scalar_one() == 1
    change = span_edits.add_spans(store, art, META, "ORG", annotator="ann")
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_span_json")).scalar_one() == 0
    span_json.refresh_articles(store, [art])
    span_edits.remove_spans(store, change.span_ids)
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_span_json")).scalar_one() == 0
        stamps = [r[0] for r in conn.execute(text("SELECT updated_at FROM article"))]
    assert all(len(stamp) == len("2026-01-01 00:00:00.000000") for stamp in stamps)


def test_span_end_check_reads_the_length_from_an_index(db_path) -> None:  # type: ignore[no-untyped-def]
    """The database still refuses a span past its text, counting characters, on insert and on update;
    the length comes from an index, not from reading the whole text for every span."""
    with open_store(db_path) as store:
        (out,) = store_articles(store, [NewArticle(text="📈 Meta", title="t")])
        insert = text('INSERT INTO span (article_id, start, "end", label_id, text, annotator, created_at, updated_at) '
                      "VALUES (:a, 2, :e, 1, 'x', '', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')")
        with pytest.raises(Exception, match="past the end of the article text"), store.begin() as conn:
            conn.execute(insert, {"a": out.article_id, "e": 7})
        with store.begin() as conn:
            conn.execute(insert, {"a": out.article_id, "e": 6})  # six characters, nine bytes
        with pytest.raises(Exception, match="past the end of the article text"), store.begin() as conn:
            conn.execute(text('UPDATE span SET "end" = 7'))
        with store.begin() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT length(text) FROM article INDEXED BY ix_article_text_chars WHERE id = 1"
            ).all()
            triggers = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())
        assert "INDEX ix_article_text_chars" in plan[0][-1]
        for name in ("span_end_in_text", "span_end_in_text_update"):
            assert "INDEXED BY ix_article_text_chars" in triggers[name]
