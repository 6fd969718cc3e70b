"""The overview's figures on a real PostgreSQL server (a team's dataset), when one is installed."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg")


def test_figures_and_throughput_per_day_on_postgresql(pg_url):  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles
    from app.core.ops.library import ArticleFilter, count_articles
    from app.core.ops.overview import overview
    from app.core.validation import NewArticle, NewSpan

    store = open_store(pg_url)
    try:
        words = "Ann Bob Cat Dan"
        store_articles(store, [
            NewArticle(text=f"{words} {n}", title=f"Story {n}", site_name=site, status=status, source_kind="paste",
                       spans=[NewSpan(start=4 * i, end=4 * i + 3, label="PERSON", annotator=who)
                              for i, who in enumerate(annotators)])
            for n, site, status, annotators in ((1, "BBC", "done", ["ana", "ben"]), (2, "BBC", "done", ["ana"]),
                                                (3, None, "new", []))])
        with store.begin() as conn:
            conn.execute(text("UPDATE article SET updated_at = '2026-05-02 23:59:00' WHERE status = 'done'"))
            conn.execute(text("UPDATE span SET created_at = '2026-05-01 10:00:00' WHERE annotator = 'ben'"))
            conn.execute(text("UPDATE span SET created_at = '2026-05-02 10:00:00' WHERE annotator = 'ana'"))
        f = overview(store)
        assert f.articles == 3 and f.spans == 3
        assert f.by_status == {"new": 1, "in_progress": 0, "done": 2, "skipped": 0}
        assert f.done_per_day == [("2026-05-02", 2)]
        assert [(s.site, s.articles) for s in f.by_site] == [("BBC", 2), ("", 1)]
        assert f.by_annotator == {"ana": 2, "ben": 1}
        assert [(d.day, d.annotator, d.spans) for d in f.annotator_days] == [
            ("2026-05-01", "ben", 1), ("2026-05-02", "ana", 2)]
        assert {b.text: b.count for b in f.spans_per_article}["2"] == 1
        assert f.near_copies is None or f.near_copies.clusters == 0
        assert count_articles(store, ArticleFilter(site="BBC")) == 2
        assert count_articles(store, ArticleFilter(site="")) == 1
        # The other bars' filters: a day of timestamps, a range of spans, an annotator's, a cluster size.
        assert count_articles(store, ArticleFilter(statuses=("done",), changed_on="2026-05-02")) == 2
        assert count_articles(store, ArticleFilter(changed_on="2026-05-03")) == 0
        assert count_articles(store, ArticleFilter(span_count=(0, 1))) == 2
        assert count_articles(store, ArticleFilter(span_count=(2, None))) == 1
        assert count_articles(store, ArticleFilter(annotator="ben")) == 1
        assert count_articles(store, ArticleFilter(cluster_size=(2, 2))) == 0
    finally:
        store.close()
