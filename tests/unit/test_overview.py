"""The figures of the dataset overview, on a real dataset whose content is known, and ``stats --json``."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import text

from app.core.ingest.storing import store_articles
from app.core.ops.overview import SIGNATURE_TABLE, Bin, overview
from app.core.validation import NewArticle, NewSpan

WORDS = "Ann Bob Cat Dan Eve Fay Gus Hal Ivy Jon Kim Lea"  # twelve names of three letters and a space


def _article(n: int, *, site: str | None, status: str, spans: list[tuple[int, str, str]]) -> NewArticle:
    """Article ``n`` with a span per (word index, label, annotator)."""
    return NewArticle(
        text=f"{WORDS} (story {n})", title=f"Story {n}", site_name=site, source_kind="paste", status=status,
        spans=[NewSpan(start=4 * i, end=4 * i + 3, label=label, annotator=who) for i, label, who in spans])


@pytest.fixture
def known(store):
    """Six articles: statuses, sites, spans per label and per annotator, and days done, all known."""
    p, o, c = "PERSON", "ORG", "CLAIM"
    store_articles(store, [
        _article(1, site="BBC", status="done", spans=[(0, p, "ana"), (1, p, "ana"), (2, o, "ben")]),
        _article(2, site="BBC", status="done", spans=[(0, p, "ana")]),
        _article(3, site="DW", status="done", spans=[(i, p, "ben") for i in range(6)]),
        _article(4, site=None, status="in_progress", spans=[(0, c, "ana"), (1, o, "ana")]),
        _article(5, site="", status="new", spans=[]),
        _article(6, site="Salon", status="skipped", spans=[]),
    ])
    with store.begin() as conn:
        for article_id, day in ((1, "2026-03-01"), (2, "2026-03-01"), (3, "2026-03-04")):
            conn.execute(text("UPDATE article SET updated_at = :t WHERE id = :i"),
                         {"t": f"{day} 16:30:00.000000", "i": article_id})
    return store


def test_every_figure_on_a_known_dataset(known):
    f = overview(known, top_sites=2)
    assert f.articles == 6 and f.spans == 12
    assert f.by_status == {"new": 1, "in_progress": 1, "done": 3, "skipped": 1}
    # Every label, in the label set's order, with its own colour.
    assert [(lc.name, lc.kind, lc.spans) for lc in f.by_label] == [
        ("PERSON", "entity", 9), ("ORG", "entity", 2), ("CLAIM", "claim", 1)]
    assert all(lc.color.startswith("#") for lc in f.by_label)
    # Articles with 0, 1, 2, 3 and 6 spans: 2, 1, 1, 1, 1.
    histogram = {b.text: b.count for b in f.spans_per_article}
    assert histogram == {"0": 2, "1": 1, "2": 1, "3–4": 1, "5–9": 1, "10–19": 0, "20–49": 0, "50–99": 0, "100+": 0}
    assert f.done_per_day == [("2026-03-01", 2), ("2026-03-04", 1)]
    # No site and an empty one are one bar; ties go by name.
    assert [(s.site, s.articles) for s in f.by_site] == [("", 2), ("BBC", 2)]
    assert (f.other_sites.site, f.other_sites.articles) == ("2", 2)  # DW and Salon
    assert f.by_annotator == {"ben": 7, "ana": 5}
    assert f.annotator_days == []  # per day on a database server only
    # The six stories differ in one word: the import's near-copy index puts them in one cluster.
    assert f.near_copies is not None and (f.near_copies.clusters, f.near_copies.articles) == (1, 6)


def test_the_library_filters_by_site(known):
    """What a click on a site's bar lists: its articles; "" lists those without a site (none or empty)."""
    from app.core.ops.library import ArticleFilter, count_articles, list_article_ids

    assert list_article_ids(known, ArticleFilter(site="BBC")) == [1, 2]
    assert list_article_ids(known, ArticleFilter(site="")) == [4, 5]
    assert count_articles(known, ArticleFilter(site="DW", statuses=("done",))) == 1
    assert count_articles(known, ArticleFilter(site="Nowhere")) == 0


def test_every_bar_lists_the_articles_it_counts(known):
    """What a click on each bar lists in the library: as many articles as a bar of articles counts,
    and for a bar of spans or clusters the articles that hold them."""
    from app.core.ops.library import count_articles, list_article_ids
    from app.core.ops.overview import BAR_CHARTS, bar_filter

    with known.begin() as conn:  # articles 1-3 one cluster, 4-5 another, 6 alone
        conn.execute(text(f"UPDATE {SIGNATURE_TABLE} SET cluster_id = CASE WHEN article_id <= 3 THEN 1 "
                          "WHEN article_id <= 5 THEN 4 END"))
    f = overview(known, top_sites=2)
    counted = {"status": list(f.by_status.values()), "spans_per_article": [b.count for b in f.spans_per_article],
               "done_per_day": [n for _day, n in f.done_per_day], "sites": [s.articles for s in f.by_site]}
    for chart, counts in counted.items():
        for index, n in enumerate(counts):
            assert count_articles(known, bar_filter(f, chart, index)) == n, (chart, index)
    assert bar_filter(f, "sites", 2) is None  # the other sites together
    listed = {chart: [list_article_ids(known, bar_filter(f, chart, i)) for i in range(len(bars))]
              for chart, bars in (("labels", f.by_label), ("annotators", f.by_annotator),
                                  ("near_copies", f.near_copies.sizes))}
    assert listed["labels"] == [[1, 2, 3], [1, 4], [4]]  # PERSON, ORG, CLAIM
    assert listed["annotators"] == [[1, 3], [1, 2, 4]]  # ben, ana
    assert listed["near_copies"][:3] == [[4, 5], [1, 2, 3], []] and not any(listed["near_copies"][3:])
    assert set(BAR_CHARTS) == set(counted) | set(listed)
    with pytest.raises(ValueError, match="annotator_days"):
        bar_filter(f, "annotator_days", 0)


def test_the_library_filters_by_a_range_of_spans_and_a_day(known):
    from app.core.ops.library import ArticleFilter, list_article_ids, list_articles

    def ids(**fields: object) -> list[int]:
        return list_article_ids(known, ArticleFilter(**fields))  # type: ignore[arg-type]

    assert ids(span_count=(0, 0)) == [5, 6]
    assert ids(span_count=(0, 2)) == [2, 4, 5, 6]
    assert ids(span_count=(3, None)) == [1, 3]
    assert ids(span_count=(0, None)) == [1, 2, 3, 4, 5, 6]
    assert ids(changed_on="2026-03-01") == [1, 2]
    assert ids(changed_on="2026-03-04", statuses=("done",)) == [3]
    assert ids(changed_on="2026-03-02") == []
    assert ids(annotator="") == [] and ids(annotator="ana", span_count=(2, 2)) == [4]
    assert ids(cluster_size=(6, 9)) == [1, 2, 3, 4, 5, 6] and ids(cluster_size=(2, 5)) == []  # one cluster of six
    # In the library's other orders, and a page of two statuses (a query per status).
    assert list_article_ids(known, ArticleFilter(span_count=(1, None)), sort="status") == [4, 1, 2, 3]
    two = ArticleFilter(statuses=("new", "done"), span_count=(0, 1), changed_on="2026-03-01")
    assert [row.id for row in list_articles(known, two, sort="title")] == [2]


def test_spans_per_article_counts_follow_edits(known):
    with known.begin() as conn:
        conn.execute(text("DELETE FROM span WHERE article_id = 3"))
    histogram = {b.text: b.count for b in overview(known).spans_per_article}
    assert histogram["0"] == 3 and histogram["5–9"] == 0


def test_near_copy_clusters_by_size(known):
    with known.begin() as conn:
        # Articles 1-3 one cluster, 4-5 another, 6 alone.
        conn.execute(text(f"UPDATE {SIGNATURE_TABLE} SET cluster_id = CASE WHEN article_id <= 3 THEN 1 "
                          "WHEN article_id <= 5 THEN 4 END"))
    near = overview(known).near_copies
    assert near is not None
    assert (near.clusters, near.articles) == (2, 5)
    assert near.sizes[:2] == [Bin(2, 2, 1), Bin(3, 3, 1)] and sum(b.count for b in near.sizes) == 2


def test_a_cluster_left_with_one_article_is_no_cluster(known):
    with known.begin() as conn:
        # Articles 1-3 one cluster; 4 and 6 the last of theirs, their copies deleted.
        conn.execute(text(f"UPDATE {SIGNATURE_TABLE} SET cluster_id = CASE WHEN article_id <= 3 THEN 1 "
                          "ELSE article_id END"))
    near = overview(known).near_copies
    assert near is not None and (near.clusters, near.articles) == (1, 3)
    assert [(b.count) for b in near.sizes if b.count] == [1]


def test_spans_of_one_annotator(store):
    store_articles(store, [_article(1, site=None, status="new", spans=[(0, "ORG", "ana"), (3, "ORG", "ana")]),
                           _article(2, site=None, status="new", spans=[(1, "PERSON", "ana")])])
    assert overview(store).by_annotator == {"ana": 3}


def test_an_empty_dataset(store):
    f = overview(store)
    assert f.articles == 0 and f.spans == 0 and f.done_per_day == [] and f.by_site == [] and f.by_annotator == {}
    assert [b.count for b in f.spans_per_article] == [0] * len(f.spans_per_article)


def test_the_figures_are_read_from_indexes(known):
    """The grouped figures walk an index that holds their column: no row of the span table is read."""
    with known.begin() as conn:
        def plan(sql: str) -> str:
            return " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))

        assert "COVERING INDEX ix_span_label" in plan("SELECT label_id, count(*) FROM span GROUP BY label_id")
        assert "COVERING INDEX ix_span_article" in plan(
            "SELECT n, count(*) FROM (SELECT count(*) AS n FROM span GROUP BY article_id) GROUP BY n")
        assert "COVERING INDEX ix_article_status_updated" in plan(
            "SELECT substr(updated_at, 1, 10) AS day, count(*) FROM article WHERE status = 'done' GROUP BY day")
        assert "COVERING INDEX ix_article_status_id" in plan(
            "SELECT status, count(*) FROM article INDEXED BY ix_article_status_id GROUP BY status")
        # Migration 0014's: spans per annotator and articles per site.
        assert "COVERING INDEX ix_span_annotator" in plan(
            "SELECT annotator, count(*) AS n FROM span GROUP BY annotator ORDER BY n DESC, annotator")
        assert "COVERING INDEX ix_article_site" in plan("SELECT site_name, count(*) FROM article GROUP BY site_name")


def test_stats_json_through_the_command_line(known, capsys):
    from app.cli import main

    assert main(["stats", "--json", "--db", str(known.path)]) == 0
    figures = orjson.loads(capsys.readouterr().out)
    assert figures["dataset"] == str(known.path)
    assert figures["articles"] == 6 and figures["spans"] == 12
    assert figures["articles_by_status"] == {"new": 1, "in_progress": 1, "done": 3, "skipped": 1}
    assert {row["label"]: row["spans"] for row in figures["spans_by_label"]}["PERSON"] == 9
    assert figures["done_per_day"] == [{"day": "2026-03-01", "articles": 2}, {"day": "2026-03-04", "articles": 1}]
    assert figures["articles_by_site"][:2] == [{"site": None, "articles": 2}, {"site": "BBC", "articles": 2}]
    assert figures["spans_by_annotator"] == [{"annotator": "ben", "spans": 7}, {"annotator": "ana", "spans": 5}]
    assert (figures["near_copy_clusters"]["clusters"], figures["near_copy_clusters"]["articles"]) == (1, 6)
    assert {"bin": "5–9", "min": 5, "max": 9, "articles": 1} in figures["spans_per_article"]


def test_plain_stats_is_unchanged(known, capsys):
    from app.cli import main

    assert main(["stats", "--db", str(known.path)]) == 0
    out = capsys.readouterr().out
    assert "Articles: 6" in out and "  done               3" in out and "{" not in out
