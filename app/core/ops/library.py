"""Reading the dataset: keyset pages of articles, counts, search, one article in full.

Paging is by keyset (``WHERE (key, id) > (?, ?)``), never OFFSET, so any page
of 100k articles costs the same as the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text

from app.core.db.in_lists import in_list
from app.core.db.store import Store
from app.core.ops.library_reads import (  # noqa: F401 - the library's own names for them, used elsewhere
    ArticleRow,
    as_datetime,
    cluster_sizes,
    label_counts,
    rows_by_id,
    search,
    span_counts,
    status_column,
    status_counts,
    team_statuses,
)
from app.core.ops.span_rules import SPAN_ORDER_SQL
from app.core.team import assignment
from app.models import ARTICLE_STATUSES

# Sort keys the library offers, and the column each maps to.
SORT_COLUMNS = {
    "id": "article.id", "updated": "article.updated_at", "title": "article.title", "status": "article.status",
}
# "label:NAME" orders by the number of NAME spans in each article. Counted per article
# from the span table's (article_id, start, end, label_id, ...) unique index, which
# holds the label: no row of the span table itself is read.
LABEL_SORT = "label:"
_LABEL_COUNT = ("(SELECT count(*) FROM span WHERE span.article_id = article.id "
                "AND span.label_id = (SELECT label.id FROM label WHERE label.name = :sort_label))")


def label_sort(name: str) -> str:
    """The sort key that orders articles by their number of ``name`` spans."""
    return LABEL_SORT + name


def _order_by(sort: str, columns: dict[str, str], params: dict[str, Any]) -> str:
    """The SQL a sort key orders by; a label count's label goes into ``params``."""
    if sort.startswith(LABEL_SORT):
        params["sort_label"] = sort.removeprefix(LABEL_SORT)
        return _LABEL_COUNT
    return columns[sort]


@dataclass(frozen=True)
class ArticleFilter:
    statuses: Sequence[str] = ()
    query: str = ""
    has_label: str | None = None
    lacks_label: str | None = None
    site: str | None = None  # the articles of this site; "" those without a site
    near_copies: bool = False  # only articles that have near copies
    cluster: int | None = None  # only the articles of this near-copy cluster
    assigned_to: str | None = None  # only the articles assigned to this annotator (app/core/team/assignment.py)
    # The bars of View ▸ Overview, each a (lowest, highest) range, inclusive; None: no upper bound.
    span_count: tuple[int, int | None] | None = None  # articles with this many spans
    cluster_size: tuple[int, int | None] | None = None  # articles in near-copy clusters of this size
    changed_on: str | None = None  # articles last changed on this ISO day (UTC, as stored)
    annotator: str | None = None  # articles with spans by this annotator ("" for spans made without a name)


@dataclass(frozen=True)
class SpanRecord:
    id: int
    start: int
    end: int
    label: str
    text: str
    annotator: str
    origin: str
    attributes: dict[str, Any]
    entity_id: int | None = None  # the entity the span names, when linked

    @classmethod
    def of_state(cls, span_id: int, state: dict[str, Any]) -> SpanRecord:
        """A span from the state a ``Changes`` record carries (it may not be stored yet)."""
        return cls(span_id, state["start"], state["end"], state["label"], state["text"], state["annotator"],
                   state["origin"], dict(state["attributes"]), state.get("entity_id"))


@dataclass(frozen=True)
class ArticleDetail:
    id: int
    uid: str
    url: str | None
    title: str
    author: str | None
    published: str | None
    site_name: str | None
    language: str | None
    text: str
    status: str
    source_kind: str
    source: str | None
    updated_at: datetime
    spans: list[SpanRecord] = field(default_factory=list)


def _where(store: Store, flt: ArticleFilter) -> tuple[list[str], dict[str, Any]] | None:
    """SQL conditions for a filter; None when it can match nothing (e.g. a query of punctuation)."""
    conds: list[str] = []
    params: dict[str, Any] = {}
    if flt.statuses:
        conds.append(f"{status_column(store)} IN ({in_list(params, 'st', flt.statuses)})")
    if flt.query.strip():
        clause = store.search.match_clause(flt.query)
        if clause is None:
            return None
        conds.append(clause[0])
        params.update(clause[1])
    for key, negate in (("has_label", False), ("lacks_label", True)):
        name = getattr(flt, key)
        if name:
            # An uncorrelated IN list is computed once from ix_span_label; a correlated
            # EXISTS probes the span table per article (2-10x slower at 100k articles).
            conds.append(
                "article.id " + ("NOT " if negate else "")
                + f"IN (SELECT span.article_id FROM span JOIN label ON label.id = span.label_id "
                f"WHERE label.name = :{key})"
            )
            params[key] = name
    if flt.site is not None:
        conds.append("coalesce(article.site_name, '') = :site")
        params["site"] = flt.site
    if flt.near_copies or flt.cluster_size is not None:
        # Clusters counted from ix_article_signature_cluster, their articles read from it too. A
        # cluster left with one article (its copies deleted) is no longer one.
        low, high = flt.cluster_size or (2, None)
        conds.append("article.id IN (SELECT article_id FROM article_signature WHERE cluster_id IN "
                     "(SELECT cluster_id FROM article_signature WHERE cluster_id IS NOT NULL GROUP BY cluster_id "
                     f"HAVING {_in_range('count(*)', max(low, 2), high, 'size', params)}))")
    if flt.cluster is not None:
        conds.append("article.id IN (SELECT article_id FROM article_signature WHERE cluster_id = :cluster)")
        params["cluster"] = flt.cluster
    if flt.assigned_to is not None:
        conds.append(assignment.assigned_clause(params, flt.assigned_to))
    if flt.span_count is not None:
        conds.append(_span_count_condition(*flt.span_count, params))
    if flt.changed_on is not None:
        # A range of ix_article_status_updated (status, updated_at) where a status is chosen too. SQLite
        # compares the stored text ("YYYY-MM-DD HH:MM:SS..."), a server the timestamps.
        day = date.fromisoformat(flt.changed_on)
        bounds = (day, day + timedelta(days=1))
        params["day_from"], params["day_to"] = (str(d) for d in bounds) if store.is_sqlite else bounds
        conds.append("article.updated_at >= :day_from AND article.updated_at < :day_to")
    if flt.annotator is not None:
        conds.append("article.id IN (SELECT span.article_id FROM span WHERE span.annotator = :annotator)")
        params["annotator"] = flt.annotator
    return conds, params


def _in_range(value: str, low: int, high: int | None, name: str, params: dict[str, Any]) -> str:
    """SQL that ``value`` lies between ``low`` and ``high`` (inclusive; None: no upper bound)."""
    params[f"{name}_low"] = low
    if high is None:
        return f"{value} >= :{name}_low"
    params[f"{name}_high"] = high
    return f"{value} >= :{name}_low AND {value} <= :{name}_high"


def _span_count_condition(low: int, high: int | None, params: dict[str, Any]) -> str:
    # Spans counted per article from ix_span_article (article_id, start), in its order. Articles
    # without spans have no rows to count: a range from zero is "not among those with more".
    if low > 0:
        return "article.id IN (SELECT article_id FROM span GROUP BY article_id " \
               f"HAVING {_in_range('count(*)', low, high, 'spans', params)})"
    if high is None:
        return "1 = 1"
    params["spans_over"] = high
    return "article.id NOT IN (SELECT article_id FROM span GROUP BY article_id HAVING count(*) > :spans_over)"


def list_articles(
    store: Store,
    flt: ArticleFilter = ArticleFilter(),
    *,
    sort: str = "id",
    descending: bool = False,
    after: tuple[Any, int] | None = None,
    limit: int = 100,
) -> list[ArticleRow]:
    """One keyset page: the ``limit`` articles after ``after`` = (sort value, id) of the last row shown."""
    where = _where(store, flt)
    if where is None:
        return []
    conds, params = where
    column = _order_by(sort, SORT_COLUMNS, params)
    filter_conds = len(conds)  # the keyset conditions follow
    op = "<" if descending else ">"
    if after is not None:
        if sort == "id":
            conds.append(f"article.id {op} :after_id")
        else:
            conds.append(f"({column}, article.id) {op} (:after_key, :after_id)")
            params["after_key"] = after[0]
        params["after_id"] = after[1]
    direction = "DESC" if descending else "ASC"
    # The id breaks ties in the same direction as the key, or the row-value
    # comparison above would skip or repeat rows that share a key.
    order = f"article.id {direction}" if sort == "id" else f"{column} {direction}, article.id {direction}"
    select = "SELECT id, uid, title, site_name, published, status, url, updated_at FROM article"
    statuses = list(dict.fromkeys(flt.statuses))
    by_article = status_column(store) == "article.status"
    if len(statuses) > 1 and column in SORT_COLUMNS.values() and by_article:  # a count is computed anyway
        # "status IN (a, b)" leaves the planner free to pick any status-led index
        # and sort every article of those statuses (over a second on 100k). One
        # page per status, each an index range on (status, key, id), merged, costs
        # a few pages instead.
        without_status = _where(store, replace(flt, statuses=()))
        assert without_status is not None  # the same filter already matched
        rest = without_status[0] + conds[filter_conds:]
        parts = []
        for i, status in enumerate(statuses):
            params[f"one_status{i}"] = status
            part_where = " AND ".join([f"article.status = :one_status{i}", *rest])
            parts.append(f"SELECT * FROM ({select} WHERE {part_where} ORDER BY {order} LIMIT :limit) AS part{i}")
        sql = " UNION ALL ".join(parts) + f" ORDER BY {order.replace('article.', '')} LIMIT :limit"
    else:
        sql = select + (" WHERE " + " AND ".join(conds) if conds else "") + f" ORDER BY {order} LIMIT :limit"
    params["limit"] = limit
    with store.reader() as reader:
        rows = reader.rows(sql, params)
        counts = span_counts(reader, [r[0] for r in rows])
    return [
        ArticleRow(
            id=r[0], uid=r[1], title=r[2], site_name=r[3], published=r[4], status=r[5], url=r[6],
            updated_at=as_datetime(r[7]), span_counts=counts.get(r[0], {}),
        )
        for r in rows
    ]


def sort_key(row: ArticleRow, sort: str) -> tuple[Any, int]:
    """The ``after`` value that continues a listing after ``row``."""
    if sort.startswith(LABEL_SORT):
        return (row.span_counts.get(sort.removeprefix(LABEL_SORT), 0), row.id)
    value = {"id": row.id, "updated": row.updated_at, "title": row.title, "status": row.status}[sort]
    return (value, row.id)


def count_articles(store: Store, flt: ArticleFilter = ArticleFilter()) -> int:
    where = _where(store, flt)
    if where is None:
        return 0
    conds, params = where
    sql = "SELECT count(*) FROM article" + (" WHERE " + " AND ".join(conds) if conds else "")
    with store.begin() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def get_article(store: Store, article_id: int) -> ArticleDetail | None:
    with store.begin() as conn:
        row = conn.execute(
            text(
                "SELECT id, uid, url, title, author, published, site_name, language, text, status, "
                "source_kind, source, updated_at FROM article WHERE id = :i"
            ),
            {"i": article_id},
        ).first()
        if row is None:
            return None
        spans = [
            SpanRecord(
                id=s[0], start=s[1], end=s[2], label=s[3], text=s[4], annotator=s[5], origin=s[6],
                attributes=orjson.loads(s[7]), entity_id=s[8],
            )
            for s in conn.execute(
                text(
                    'SELECT span.id, span.start, span."end", label.name, span.text, span.annotator, span.origin, '
                    "span.attributes, span.entity_id FROM span JOIN label ON label.id = span.label_id "
                    'WHERE span.article_id = :i ORDER BY ' + SPAN_ORDER_SQL
                ),
                {"i": article_id},
            )
        ]
        own, _finished = team_statuses(store, conn, [article_id])
    return ArticleDetail(
        id=row[0], uid=row[1], url=row[2], title=row[3], author=row[4], published=row[5], site_name=row[6],
        language=row[7], text=row[8], status=own.get(article_id, str(row[9])), source_kind=row[10], source=row[11],
        updated_at=as_datetime(row[12]), spans=spans,
    )


# Orders the library table offers (a superset of SORT_COLUMNS, and label counts); the id breaks ties.
# Statuses sort in the order of the work (ARTICLE_STATUSES), not of the alphabet.
ID_SORTS = {
    "id": "article.id",
    "title": "article.title",
    "site": "article.site_name",
    "published": "article.published",
    "status": "article.status",
    "updated": "article.updated_at",
    # Near copies next to each other: an article in a cluster sorts at its cluster's first article.
    "cluster": "coalesce((SELECT cluster_id FROM article_signature WHERE article_id = article.id), article.id)",
}


def list_article_ids(
    store: Store,
    flt: ArticleFilter = ArticleFilter(),
    *,
    sort: str = "id",
    descending: bool = False,
    limit: int | None = None,
) -> list[int]:
    """Ids of every article matching ``flt`` (or the first ``limit``), in display order: one query, ids only.

    A table of 100k articles keeps this list and fetches its rows a screenful
    at a time with ``article_rows``.
    """
    if sort == "status":
        # One index range on (status, id) per status, in the order of the work.
        ids: list[int] = []
        for status in reversed(ARTICLE_STATUSES) if descending else ARTICLE_STATUSES:
            if (flt.statuses and status not in flt.statuses) or (limit is not None and len(ids) >= limit):
                continue
            rest = None if limit is None else limit - len(ids)
            ids += list_article_ids(store, replace(flt, statuses=(status,)), descending=descending, limit=rest)
        return ids
    where = _where(store, flt)
    if where is None:
        return []
    conds, params = where
    direction = "DESC" if descending else "ASC"
    sql = "SELECT article.id AS id FROM article" + (" WHERE " + " AND ".join(conds) if conds else "")
    # Unfiltered and in id order, the ids are sorted here rather than read by walking
    # the table's own b-tree, which holds every text: a narrow index gives them 2-3x faster.
    sort_here = sort == "id" and limit is None and not conds
    if not sort_here:
        key = "" if sort == "id" else f"{_order_by(sort, ID_SORTS, params)} {direction}, "
        sql += f" ORDER BY {key}article.id {direction}"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = int(limit)
    with store.begin() as conn:
        if store.is_sqlite:
            # One row holding a JSON array, built inside SQLite: 3-5x faster than handing
            # Python 100k rows, and the GIL is not taken per row. An ORDER BY in a FROM
            # subquery is kept when the outer query is an aggregate without its own order.
            packed = conn.execute(text(f"SELECT json_group_array(id) FROM ({sql})"), params).scalar_one()
            ids = orjson.loads(packed)
        else:
            ids = [row[0] for row in conn.execute(text(sql), params).cursor.fetchall()]
    if sort_here:
        ids.sort(reverse=descending)
    return ids


def article_rows(store: Store, article_ids: Sequence[int]) -> dict[int, ArticleRow]:
    """The library rows of these articles by id; ids no longer stored are left out."""
    return {r.id: r for r in rows_by_id(store, [int(i) for i in article_ids])}
