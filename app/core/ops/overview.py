"""The dataset at a glance: the figures of View ▸ Overview and of ``article-curator stats --json``.

Each figure is one GROUP BY in SQL, over an index that holds the grouped column
where the schema has one (statuses, labels, spans per article, done articles by
day, near-copy clusters), so that 100,000 articles and a million spans take a
fraction of a second. What differs between SQLite and PostgreSQL (the day of a
timestamp) is kept in ``_Dialect``.

"Done per day" is an approximation, and says so where it is shown: it counts
each done article on the day it was last changed (``article.updated_at``), as
the dataset keeps no record of when an article was marked done; an article
edited after that moves to the day of the edit.

Two figures read more than an index: articles per site reads every article's
row (``site_name`` has no index), and spans per annotator sorts every span (no
index leads with ``annotator``) unless one annotator made them all. The latter,
the slowest, is read on a connection of its own while the rest are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, inspect, text

from app.core.db.store import Store
from app.core.ops.labels import list_labels
from app.core.ops.library import ArticleFilter
from app.models import ARTICLE_STATUSES

TOP_SITES = 10
# (lowest, highest) number of spans per bar of the spans-per-article histogram; None: no upper bound.
SPANS_PER_ARTICLE_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 0), (1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, None))
# The same for the sizes of near-copy clusters (a cluster has two articles or more).
CLUSTER_SIZE_BINS: tuple[tuple[int, int | None], ...] = ((2, 2), (3, 3), (4, 4), (5, 9), (10, 19), (20, None))
SIGNATURE_TABLE = "article_signature"  # the near-copy index; a dataset made before it has none


@dataclass(frozen=True)
class LabelCount:
    name: str
    kind: str
    color: str
    spans: int


@dataclass(frozen=True)
class Bin:
    """One bar of a histogram: how many items have between ``low`` and ``high`` (inclusive) of something."""

    low: int
    high: int | None  # None: ``low`` or more
    count: int

    @property
    def text(self) -> str:
        if self.high == self.low:
            return str(self.low)
        return f"{self.low}+" if self.high is None else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class SiteCount:
    site: str  # "" for articles without a site
    articles: int


@dataclass(frozen=True)
class NearCopies:
    clusters: int
    articles: int  # in some cluster
    sizes: list[Bin]  # clusters per size


@dataclass(frozen=True)
class AnnotatorDay:
    day: str  # ISO date
    annotator: str
    spans: int


@dataclass(frozen=True)
class Overview:
    articles: int
    spans: int
    by_status: dict[str, int]  # every status, in the order of the work
    by_label: list[LabelCount]  # every label, in the label set's order
    spans_per_article: list[Bin]
    done_per_day: list[tuple[str, int]]  # (ISO date, articles) in date order; see the module's note
    by_site: list[SiteCount]  # the TOP_SITES largest, largest first
    other_sites: SiteCount  # the rest together: ``site`` holds how many sites they are, as text
    near_copies: NearCopies | None  # None when the dataset has no near-copy index
    by_annotator: dict[str, int]  # spans per annotator ("" for spans made without a name), most first
    annotator_days: list[AnnotatorDay]  # spans per annotator per day: on a database server only
    # Milliseconds each figure took, for the benchmark; not a figure.
    timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The figures as plain JSON values, for scripts."""
        return {
            "articles": self.articles,
            "spans": self.spans,
            "articles_by_status": self.by_status,
            "spans_by_label": [{"label": lc.name, "kind": lc.kind, "color": lc.color, "spans": lc.spans}
                               for lc in self.by_label],
            "spans_per_article": [_bin_json(b, "articles") for b in self.spans_per_article],
            "done_per_day": [{"day": day, "articles": n} for day, n in self.done_per_day],
            "done_per_day_is": "each done article on the day it was last changed",
            "articles_by_site": [{"site": s.site or None, "articles": s.articles} for s in self.by_site],
            "other_sites": {"sites": int(self.other_sites.site or 0), "articles": self.other_sites.articles},
            "near_copy_clusters": None if self.near_copies is None else {
                "clusters": self.near_copies.clusters, "articles": self.near_copies.articles,
                "by_size": [_bin_json(b, "clusters") for b in self.near_copies.sizes]},
            "spans_by_annotator": [{"annotator": who, "spans": n} for who, n in self.by_annotator.items()],
            "spans_by_annotator_per_day": [{"day": d.day, "annotator": d.annotator, "spans": d.spans}
                                           for d in self.annotator_days],
        }


def _bin_json(b: Bin, noun: str) -> dict[str, Any]:
    return {"bin": b.text, "min": b.low, "max": b.high, noun: b.count}


class _Dialect:
    """The SQL that differs between the database types, behind one small interface."""

    def __init__(self, store: Store) -> None:
        self.sqlite = store.is_sqlite

    def day(self, column: str) -> str:
        """The calendar day (UTC) of a timestamp column, as an expression that groups."""
        # SQLite stores timestamps as text "YYYY-MM-DD HH:MM:SS.ffffff": its first ten characters
        # are the day, read straight from the index that holds the column.
        return f"substr({column}, 1, 10)" if self.sqlite else f"CAST({column} AS date)"

    def status_index(self) -> str:
        # Left to itself SQLite may count through a wider status-led index (see library.status_counts).
        return " INDEXED BY ix_article_status_id" if self.sqlite else ""


T = TypeVar("T")


def overview(store: Store, *, top_sites: int = TOP_SITES) -> Overview:
    """Every figure of the dataset's overview.

    Two read transactions, started together, so the figures agree with each other
    unless an edit is stored in the moment between their starts.
    """
    dialect = _Dialect(store)
    timings: dict[str, float] = {}

    def timed(name: str, figure: Callable[[Connection], T], conn: Connection) -> T:
        started = time.perf_counter()
        result = figure(conn)
        timings[name] = (time.perf_counter() - started) * 1000
        return result

    labels = list_labels(store)
    # Spans per annotator sorts every span (no index holds the annotator first): the slowest
    # figure by far, so it is read on a connection of its own while this one reads the rest.
    with ThreadPoolExecutor(1) as pool:
        annotators_read = pool.submit(_on_own_connection, store, lambda c: (
            timed("annotators", _spans_by_annotator, c),
            timed("annotators per day", lambda c2: _annotator_days(c2, dialect), c) if not store.is_sqlite else []))
        with store.begin() as conn:
            by_status = timed("status", lambda c: _by_status(c, dialect), conn)
            articles = sum(by_status.values())
            label_spans = timed("labels", _spans_by_label_id, conn)
            per_article = timed("spans per article", lambda c: _spans_per_article(c, articles), conn)
            done = timed("done per day", lambda c: _done_per_day(c, dialect), conn)
            sites = timed("sites", _articles_by_site, conn)
            near = timed("near copies", _near_copies, conn)
        annotators, days = annotators_read.result()
    by_label = [LabelCount(lb.name, lb.kind, lb.color, label_spans.get(lb.id, 0)) for lb in labels]
    top = sites[:top_sites]
    rest = sites[top_sites:]
    return Overview(
        articles=articles,
        spans=sum(label_spans.values()),
        by_status=by_status,
        by_label=by_label,
        spans_per_article=per_article,
        done_per_day=done,
        by_site=top,
        other_sites=SiteCount(str(len(rest)), sum(s.articles for s in rest)),
        near_copies=near,
        by_annotator=annotators,
        annotator_days=days,
        timings=timings,
    )


def _on_own_connection(store: Store, figures: Callable[[Connection], T]) -> T:
    with store.begin() as conn:
        return figures(conn)


def _by_status(conn: Connection, dialect: _Dialect) -> dict[str, int]:
    rows = conn.execute(text(f"SELECT status, count(*) FROM article{dialect.status_index()} GROUP BY status"))
    counts = {status: n for status, n in rows}
    return {status: int(counts.get(status, 0)) for status in ARTICLE_STATUSES}


def _spans_by_label_id(conn: Connection) -> dict[int, int]:
    # Counted in ix_span_label (label_id): no row of the span table is read.
    return {int(lid): int(n) for lid, n in conn.execute(text("SELECT label_id, count(*) FROM span GROUP BY label_id"))}


def _spans_per_article(conn: Connection, articles: int) -> list[Bin]:
    # Spans per article from ix_span_article (article_id, start), in its order: no sort. The
    # articles without a span are the rest.
    counts = conn.execute(text("SELECT n, count(*) FROM (SELECT count(*) AS n FROM span GROUP BY article_id) "
                               "AS per_article GROUP BY n")).all()
    with_spans = sum(int(k) for _n, k in counts)
    return _binned([(0, articles - with_spans), *counts], SPANS_PER_ARTICLE_BINS)


def _binned(counts: Sequence[tuple[int, int]], bins: Sequence[tuple[int, int | None]]) -> list[Bin]:
    """(value, how many) pairs summed into ``bins``."""
    totals = [0] * len(bins)
    for value, n in counts:
        for i, (low, high) in enumerate(bins):
            if value >= low and (high is None or value <= high):
                totals[i] += int(n)
                break
    return [Bin(low, high, total) for (low, high), total in zip(bins, totals, strict=True)]


def _done_per_day(conn: Connection, dialect: _Dialect) -> list[tuple[str, int]]:
    # From ix_article_status_updated (status, updated_at, id): the done articles' range of it alone.
    day = dialect.day("updated_at")
    rows = conn.execute(text(f"SELECT {day} AS day, count(*) FROM article WHERE status = 'done' "
                             "GROUP BY day ORDER BY day"))
    return [(_iso_day(d), int(n)) for d, n in rows]


def _iso_day(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


def _articles_by_site(conn: Connection) -> list[SiteCount]:
    # Grouped by the bare column, so that an index on it would serve; no site (NULL) and an
    # empty one are one bar.
    counts: dict[str, int] = {}
    for site, n in conn.execute(text("SELECT site_name, count(*) FROM article GROUP BY site_name")):
        counts[site or ""] = counts.get(site or "", 0) + int(n)
    return [SiteCount(site, n) for site, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _near_copies(conn: Connection) -> NearCopies | None:
    if not inspect(conn).has_table(SIGNATURE_TABLE):
        return None
    # Cluster sizes from ix_article_signature_cluster (cluster_id), in its order. A cluster left
    # with one article (its copies deleted) is no longer one, as in the library's filter.
    sizes = conn.execute(text(f"SELECT size, count(*) FROM (SELECT count(*) AS size FROM {SIGNATURE_TABLE} "
                              "WHERE cluster_id IS NOT NULL GROUP BY cluster_id HAVING count(*) > 1) AS clusters "
                              "GROUP BY size")).all()
    return NearCopies(clusters=sum(int(n) for _s, n in sizes), articles=sum(int(s) * int(n) for s, n in sizes),
                      sizes=_binned(sizes, CLUSTER_SIZE_BINS))


def _spans_by_annotator(conn: Connection) -> dict[str, int]:
    # A dataset of one annotator (most desktop datasets) is told by a scan that keeps two names at
    # most, and its count is every span's: a third of the cost of grouping, which sorts every span.
    names = [row[0] for row in conn.execute(text("SELECT DISTINCT annotator FROM span LIMIT 2"))]
    if len(names) < 2:
        return {name: int(conn.execute(text("SELECT count(*) FROM span")).scalar_one()) for name in names}
    rows = conn.execute(text("SELECT annotator, count(*) AS n FROM span GROUP BY annotator ORDER BY n DESC, annotator"))
    return {who: int(n) for who, n in rows}


def _annotator_days(conn: Connection, dialect: _Dialect) -> list[AnnotatorDay]:
    """Spans per annotator per day of creation: a team's throughput, on a database server."""
    rows = conn.execute(text(f"SELECT {dialect.day('created_at')} AS day, annotator, count(*) FROM span "
                             "GROUP BY day, annotator ORDER BY day, annotator"))
    return [AnnotatorDay(_iso_day(d), who, int(n)) for d, who, n in rows]


# The charts whose bars filter the library, in the order of the overview.
BAR_CHARTS = ("status", "labels", "spans_per_article", "done_per_day", "sites", "near_copies", "annotators")


def bar_filter(f: Overview, chart: str, index: int) -> ArticleFilter | None:
    """The library filter that lists the articles bar ``index`` of ``chart`` counts (one of
    ``BAR_CHARTS``); None for a bar that is no one set of articles (the other sites together)."""
    if chart == "status":
        return ArticleFilter(statuses=(list(f.by_status)[index],))
    if chart == "labels":
        return ArticleFilter(has_label=f.by_label[index].name)
    if chart == "spans_per_article":
        return ArticleFilter(span_count=_range(f.spans_per_article[index]))
    if chart == "done_per_day":
        return ArticleFilter(statuses=("done",), changed_on=f.done_per_day[index][0])
    if chart == "sites":
        return ArticleFilter(site=f.by_site[index].site) if index < len(f.by_site) else None
    if chart == "near_copies":
        return None if f.near_copies is None else ArticleFilter(cluster_size=_range(f.near_copies.sizes[index]))
    if chart == "annotators":
        return ArticleFilter(annotator=list(f.by_annotator)[index])
    raise ValueError(f"no bars to filter by in {chart!r}")


def _range(b: Bin) -> tuple[int, int | None]:
    return (b.low, b.high)
