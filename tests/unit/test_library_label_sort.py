"""Ordering the library by the number of spans of one label, in SQL, with keyset paging (a real SQLite file)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.core.db.store import Store
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.ops.library import ArticleFilter, label_sort
from app.core.validation import NewArticle

# ORG spans per article, in import order: ties (0, 2, 5) so the id must break them.
ORG_COUNTS = [2, 0, 5, 1, 2, 0, 7, 5, 3, 2, 0, 1]
WORDS = ["Meta", "Mistral", "Google", "OpenAI", "DeepSeek", "FAIR", "Qwen", "Llama"]


@pytest.fixture
def counted(store: Store) -> Store:
    text = " and ".join(WORDS) + "."
    outcomes = store_articles(store, [NewArticle(text=f"{i}: {text}", title=f"Article {i}")
                                      for i in range(len(ORG_COUNTS))])
    assert [o.article_id for o in outcomes] == list(range(1, len(ORG_COUNTS) + 1))
    for i, n in enumerate(ORG_COUNTS):
        body = f"{i}: {text}"
        ranges = [(body.index(w), body.index(w) + len(w)) for w in WORDS[:n]]
        span_edits.add_spans(store, i + 1, ranges, "ORG", annotator="ann")
        if n == 1:  # spans of another label do not count
            span_edits.add_span(store, i + 1, *ranges[0], "PERSON", annotator="ann")
    for art in (3, 4, 9):
        span_edits.set_status(store, [art], "done")
    return store


def expected(store: Store, descending: bool, flt: ArticleFilter = ArticleFilter()) -> list[int]:
    """The order worked out here from the stored counts: count, then id, both in the same direction."""
    rows = library.list_articles(store, flt, limit=1000)
    key = sorted(((r.span_counts.get("ORG", 0), r.id) for r in rows), reverse=descending)
    return [art_id for _n, art_id in key]


@pytest.mark.parametrize("descending", [False, True], ids=["fewest-first", "most-first"])
def test_ids_in_label_count_order(counted: Store, descending: bool) -> None:
    ids = library.list_article_ids(counted, sort=label_sort("ORG"), descending=descending)
    assert [ORG_COUNTS[i - 1] for i in ids] == sorted(ORG_COUNTS, reverse=descending)
    assert ids == expected(counted, descending)
    first = library.list_article_ids(counted, sort=label_sort("ORG"), descending=descending, limit=5)
    assert first == ids[:5]
    done = ArticleFilter(statuses=("done",))
    assert library.list_article_ids(counted, done, sort=label_sort("ORG"), descending=descending) == \
        expected(counted, descending, done)


def test_the_order_is_computed_in_sql(counted: Store) -> None:
    statements: list[str] = []

    def seen(_conn, _cursor, sql: str, *_args) -> None:
        statements.append(sql)

    event.listen(counted.engine, "before_cursor_execute", seen)
    try:
        library.list_article_ids(counted, sort=label_sort("ORG"), descending=True)
    finally:
        event.remove(counted.engine, "before_cursor_execute", seen)
    (query,) = statements
    assert "ORDER BY (SELECT count(*) FROM span" in query and "DESC, article.id DESC" in query


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 3, 5])
@pytest.mark.parametrize("statuses", [(), ("done",), ("new", "done")], ids=["all", "done", "new-or-done"])
def test_keyset_pages_walk_every_article_once(counted: Store, descending: bool, limit: int,
                                              statuses: tuple[str, ...]) -> None:
    flt = ArticleFilter(statuses=statuses)
    sort = label_sort("ORG")
    walked: list[int] = []
    after = None
    while page := library.list_articles(counted, flt, sort=sort, descending=descending, after=after, limit=limit):
        assert len(page) <= limit
        walked += [r.id for r in page]
        assert len(walked) <= len(ORG_COUNTS), "paging does not advance"
        after = library.sort_key(page[-1], sort)
    assert walked == expected(counted, descending, flt)


def test_a_label_nobody_used_or_that_is_gone_orders_by_id(counted: Store) -> None:
    assert library.list_article_ids(counted, sort=label_sort("CLAIM")) == list(range(1, len(ORG_COUNTS) + 1))
    assert library.list_article_ids(counted, sort=label_sort("NO SUCH LABEL"), descending=True) == \
        list(range(len(ORG_COUNTS), 0, -1))
