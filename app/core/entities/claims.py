"""Every claim of a dataset as a record: who made it, its verdict, site, date and article, filtered and paged in SQL.

A claim is a span of a claim label (``label.kind = 'claim'``). Its claimant is the
entity ``span.claimant_id`` links it to (shown by the entity's name), or else the
free name of its ``claimant`` attribute; its verdict and note are attributes; its
date is the attribute ``date`` (ISO) or, while that is empty, the article's
publication date (``effective_date``).

``list_claim_ids`` gives the ids of every claim matching a filter in display order
(one query, ids only: a table keeps them and reads a screenful of rows at a time
with ``claim_rows``); ``list_claims`` one page of rows (offset/limit);
``count_claims`` how many match. A claim's date, verdict, claimant and site are
columns of its span row, NULL on any other span, kept current by
``claim_columns``; indexes over the claims alone give each order (and the
default one, by article) and its filters, and a claimant's claims come from the
span table's claimant index. The article is joined only to order by its title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import text

from app.core.db.in_lists import select_in
from app.core.db.store import Store

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def effective_date(attributes: dict[str, Any], published: str | None) -> str:
    """A claim's date: its own ``date`` attribute, or else the day its article was published ("" when neither)."""
    own = str(attributes.get("date") or "").strip()
    if own:
        return own
    return (published or "").strip()[:10]


def check_date(value: str) -> str:
    """A claim date as stored: "" or YYYY-MM-DD; raises ValueError for anything else."""
    value = value.strip()
    if value and not _ISO_DATE.match(value):
        raise ValueError(f"“{value}” is not a date written as YYYY-MM-DD.")
    if value:
        date.fromisoformat(value)  # refuses 2025-02-30
    return value


@dataclass(frozen=True)
class ClaimFilter:
    """Which claims to list; None (or "") means any."""

    claimant_id: int | None = None
    verdict: str | None = None
    label: str | None = None
    date_from: str | None = None  # inclusive, YYYY-MM-DD
    date_to: str | None = None  # inclusive, YYYY-MM-DD
    search: str | None = None  # in the claim's text or its claimant's name

    def kwargs(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClaimRow:
    span_id: int
    article_id: int
    text: str
    claimant: str
    claimant_id: int | None
    claimant_kind: str  # the linked entity's label (PERSON, ORG, ...), "" when not linked
    verdict: str
    site: str
    date: str
    title: str
    label: str
    note: str
    start: int
    end: int


# Orders the view offers: what each orders by, before the span id that breaks ties.
SORT_KEYS = {
    # The claims of each article in text order, articles in import order: unique (the span table's
    # identity), so no id follows.
    "article": ["span.article_id", "span.start", 'span."end"', "span.label_id", "span.annotator"],
    "date": ["span.claim_date"],
    # One claimant's (verdict's, site's) claims by date, as the index of each holds them.
    "claimant": ["span.claim_claimant", "span.claim_date"],
    "verdict": ["span.claim_verdict", "span.claim_date"],
    "site": ["span.claim_site", "span.claim_date"],
    "title": ["lower(coalesce(article.title, ''))"],
    "text": ["lower(span.text)"],
    "id": [],
}
SORTS = tuple(SORT_KEYS)
# The claim column (claim_columns) whose index gives each order. Every claim, and only a claim, has each
# ("" when it has none), so "column IS NOT NULL" picks the claims, and lets SQLite read that column's
# partial index alone. The other orders pick them by their date.
_ORDER_COLUMN = {"date": "claim_date", "claimant": "claim_claimant", "verdict": "claim_verdict",
                 "site": "claim_site"}


def _sort_sql(sort: str) -> list[str]:
    """What ``sort`` orders by, before the span id that breaks ties."""
    if sort not in SORT_KEYS:
        raise ValueError(f"Claims cannot be sorted by {sort!r}; use one of {', '.join(SORTS)}.")
    return SORT_KEYS[sort]


def _where(flt: ClaimFilter, sort: str, params: dict[str, Any]) -> list[str]:
    """The conditions that pick the claims matching ``flt``, to be listed in the order ``sort``."""
    conds = [f"span.{_ORDER_COLUMN.get(sort, 'claim_date')} IS NOT NULL"]
    if flt.label:
        params["label"] = flt.label
        conds.append("span.label_id IN (SELECT id FROM label WHERE kind = 'claim' AND name = :label)")
    if flt.claimant_id is not None:
        conds.append("span.claimant_id = :claimant_id")
        params["claimant_id"] = int(flt.claimant_id)
    if flt.verdict:
        conds.append("span.claim_verdict = :verdict")
        params["verdict"] = flt.verdict
    dates = [(key, op) for key, op in (("date_from", ">="), ("date_to", "<=")) if getattr(flt, key)]
    for key, op in dates:
        conds.append(f"span.claim_date {op} :{key}")
        params[key] = getattr(flt, key)
    if dates:
        conds.append("span.claim_date <> ''")
    words = (flt.search or "").strip().lower()
    if words:
        params["search"] = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append("(lower(span.text) LIKE :search ESCAPE '\\' OR span.claim_claimant LIKE :search ESCAPE '\\')")
    return conds


# The index of each order (migration 0015), and the filters it holds beyond dates and labels.
_ORDER_INDEX = {"article": ("ix_span_claim_article", {"verdict"}), "date": ("ix_span_claim_date", set()),
                "claimant": ("ix_span_claim_claimant", set()), "verdict": ("ix_span_claim_verdict", {"verdict"}),
                "site": ("ix_span_claim_site", set())}


def _from(store: Store, flt: ClaimFilter, sort: str) -> str:
    if sort != "title":
        return "FROM span" + _index_hint(store, flt, sort)
    # SQLite's CROSS JOIN keeps the span table outside: its claims come from the index of claims in article
    # order, which holds each one's article, and each finds its article by id. Left free, SQLite walks every
    # article and all their spans to find the claims.
    join = "CROSS JOIN" if store.is_sqlite else "JOIN"
    return f"FROM span{_index_hint(store, flt, 'article')} {join} article ON article.id = span.article_id"


def _index_hint(store: Store, flt: ClaimFilter, sort: str) -> str:
    """SQLite's ``INDEXED BY`` the order's own index when it holds every filter: read in order, a first page
    is a few hundred index entries. Left free, SQLite took the index of a filter instead, and sorted every
    claim of a verdict or a month, each read from the table, before the first row (0.1-0.2 s at 100k)."""
    index, holds = _ORDER_INDEX.get(sort, ("", set()))
    if not store.is_sqlite or not index or flt.claimant_id is not None or (flt.search or "").strip():
        return ""
    if flt.verdict and "verdict" not in holds:
        return ""
    return f" INDEXED BY {index}"


def count_claims(store: Store, flt: ClaimFilter | None = None, **filters: Any) -> int:
    """How many claims match ``flt`` (or the same filters given as keywords)."""
    params: dict[str, Any] = {}
    conds = _where(flt or ClaimFilter(**filters), "id", params)
    sql = f"SELECT count(*) FROM span WHERE {' AND '.join(conds)}"
    with store.begin() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _ids_sql(store: Store, flt: ClaimFilter, sort: str, descending: bool, params: dict[str, Any]) -> str:
    keys = _sort_sql(sort)
    conds = _where(flt, sort, params)
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{part} {direction}" for part in keys + ([] if sort == "article" else ["span.id"]))
    return f"SELECT span.id AS id {_from(store, flt, sort)} WHERE {' AND '.join(conds)} ORDER BY {order}"


def list_claim_ids(store: Store, flt: ClaimFilter | None = None, *, sort: str = "article", descending: bool = False,
                   limit: int | None = None, offset: int = 0, **filters: Any) -> list[int]:
    """The span ids of every claim matching the filter (or the ``limit`` from ``offset``), in display order."""
    params: dict[str, Any] = {}
    sql = _ids_sql(store, flt or ClaimFilter(**filters), sort, descending, params)
    if limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=max(0, int(limit)), offset=max(0, int(offset)))
    with store.begin() as conn:
        if store.is_sqlite:
            # One row holding a JSON array built inside SQLite, as the library's id list
            # (library.list_article_ids): far faster than a Python row per claim.
            return orjson.loads(conn.execute(text(f"SELECT json_group_array(id) FROM ({sql})"), params).scalar_one())
        return [int(r[0]) for r in conn.execute(text(sql), params)]


_ROWS_SQL = (
    "SELECT span.id, span.article_id, span.text, span.claimant_id, entity.name, kind.name, span.attributes, "
    "article.site_name, article.url, span.claim_date, article.title, label.name, span.start, span.\"end\" "
    "FROM span JOIN article ON article.id = span.article_id JOIN label ON label.id = span.label_id "
    "LEFT JOIN entity ON entity.id = span.claimant_id LEFT JOIN label AS kind ON kind.id = entity.label_id "
    "WHERE span.id IN :values"
)


def claim_rows(store: Store, span_ids: Sequence[int]) -> dict[int, ClaimRow]:
    """The rows of these claims by span id; ids no longer stored are left out."""
    rows: dict[int, ClaimRow] = {}
    with store.begin() as conn:
        for (span_id, article_id, claim_text, claimant_id, entity_name, kind, attributes, site, url, claim_date,
             title, label, start, end) in select_in(conn, _ROWS_SQL, [int(i) for i in span_ids]):
            attrs = orjson.loads(attributes or "{}")
            rows[int(span_id)] = ClaimRow(
                int(span_id), int(article_id), claim_text, entity_name or str(attrs.get("claimant") or ""),
                claimant_id, kind or "", str(attrs.get("verdict") or ""), site or _host(url),
                claim_date or "",  # as it sorts: the claim's own date, else its article's (effective_date)
                title or "", label, str(attrs.get("note") or ""), int(start), int(end))
    return rows


def _host(url: str | None) -> str:
    try:
        host = urlsplit(url).hostname if url else None
    except ValueError:
        host = None
    return (host or "").removeprefix("www.")


def list_claims(store: Store, flt: ClaimFilter | None = None, *, sort: str = "article", descending: bool = False,
                offset: int = 0, limit: int = 100, **filters: Any) -> list[ClaimRow]:
    """One page of claims: ``limit`` rows from ``offset`` in the order ``sort``."""
    ids = list_claim_ids(store, flt, sort=sort, descending=descending, limit=limit, offset=offset, **filters)
    rows = claim_rows(store, ids)
    return [rows[i] for i in ids if i in rows]


def verdicts_in_use(store: Store) -> list[str]:
    """The distinct verdicts the dataset's claims hold, by name."""
    sql = "SELECT DISTINCT span.claim_verdict FROM span WHERE span.claim_verdict IS NOT NULL ORDER BY 1"
    with store.begin() as conn:
        return [r[0] for r in conn.execute(text(sql)) if r[0]]


def claimants_in_use(store: Store) -> list[tuple[int, str, int]]:
    """The entities that are the claimant of a claim: (id, name, number of claims), by name."""
    sql = ("SELECT entity.id, entity.name, count(*) FROM span JOIN entity ON entity.id = span.claimant_id "
           "GROUP BY entity.id, entity.name, entity.name_key ORDER BY entity.name_key, entity.id")
    with store.begin() as conn:
        return [(int(r[0]), r[1], int(r[2])) for r in conn.execute(text(sql))]


def claim_labels(store: Store) -> list[str]:
    with store.begin() as conn:
        return [r[0] for r in conn.execute(text("SELECT name FROM label WHERE kind = 'claim' ORDER BY position, name"))]
