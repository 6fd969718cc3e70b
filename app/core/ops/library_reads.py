"""The library's counts, search and rows of given articles, read through a ``Reader``.

Apart from ``library`` (which re-exports them) so that ``article-curator stats``
and ``search`` run them on a dataset file read through sqlite3 alone
(app/core/db/file_reader.py), without SQLAlchemy; the desktop app and a team
server run the very same statements on the store's connections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.db.reader import Dataset, Reader


@dataclass(frozen=True)
class ArticleRow:
    """What the library shows of an article (no text)."""

    id: int
    uid: str
    title: str
    site_name: str | None
    published: str | None
    status: str
    url: str | None
    updated_at: datetime
    span_counts: dict[str, int] = field(default_factory=dict)
    cluster_id: int | None = None  # its near-copy cluster (app/core/quality/near_copies.py)
    near_copies: int = 0  # the other articles of that cluster
    # On a team server, for all but an annotator: how many annotators marked it done (None on a dataset file).
    finished: int | None = None


# An annotator's own status of an article on a team server (no row: new), what their library shows.
_OWN_STATUS = ("coalesce((SELECT own.status FROM article_status own WHERE own.article_id = article.id "
               "AND own.annotator = CURRENT_USER::text), 'new')")


def status_column(store: Dataset) -> str:
    """The status the library filters and counts by: the article's, or an annotator's own on a team server."""
    if store.is_sqlite:
        return "article.status"
    from app.core.team import identity

    return _OWN_STATUS if identity.team_role(store) == "annotator" else "article.status"  # type: ignore[arg-type]


def span_counts(reader: Reader, article_ids: list[int]) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = {}
    for art_id, name, n in reader.rows_in(
        "SELECT span.article_id, label.name, count(*) FROM span JOIN label ON label.id = span.label_id "
        "WHERE span.article_id IN :values GROUP BY span.article_id, label.name",
        [int(i) for i in article_ids],
    ):
        result.setdefault(art_id, {})[name] = n
    return result


def cluster_sizes(reader: Reader, article_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Article id: (cluster id, articles in the cluster), for those of these articles in a cluster."""
    return {a: (c, n) for a, c, n in reader.rows_in(
        "SELECT s.article_id, s.cluster_id, (SELECT count(*) FROM article_signature c "
        "WHERE c.cluster_id = s.cluster_id) FROM article_signature s "
        "WHERE s.article_id IN :values AND s.cluster_id IS NOT NULL",
        [int(i) for i in article_ids])}


def status_counts(store: Dataset) -> dict[str, int]:
    # Left to itself SQLite counts through the widest status-led index
    # (status, title, id): twice the pages of (status, id).
    hint = " INDEXED BY ix_article_status_id" if store.is_sqlite else ""
    status = status_column(store)
    with store.reader() as reader:
        return {s: n for s, n in reader.rows(f"SELECT {status}, count(*) FROM article{hint} GROUP BY 1")}


def label_counts(store: Dataset) -> dict[str, int]:
    """Spans per label, every label listed (zero when unused)."""
    with store.reader() as reader:
        return {name: n for name, n in reader.rows(
            "SELECT label.name, count(span.id) FROM label LEFT JOIN span ON span.label_id = label.id "
            "GROUP BY label.id, label.name ORDER BY label.position, label.name")}


def search(store: Dataset, query: str, limit: int = 50) -> list[ArticleRow]:
    """The best ``limit`` matches for what a user typed, best first. Never raises on odd input."""
    with store.reader() as reader:
        ids = store.search.search_ids(reader, query, limit)
    if not ids:
        return []
    rows = {r.id: r for r in rows_by_id(store, ids)}
    return [rows[i] for i in ids if i in rows]


def rows_by_id(store: Dataset, ids: list[int]) -> list[ArticleRow]:
    with store.reader() as reader:
        rows = reader.rows_in("SELECT id, uid, title, site_name, published, status, url, updated_at "
                              "FROM article WHERE id IN :values", [int(i) for i in ids])
        counts = span_counts(reader, ids)
        clusters = cluster_sizes(reader, ids)
        # On a team server the store's reader holds a SQLAlchemy connection, which the team's reads take.
        own, finished = team_statuses(store, getattr(reader, "conn", None), ids)
    return [
        ArticleRow(
            id=r[0], uid=r[1], title=r[2], site_name=r[3], published=r[4], status=own.get(r[0], r[5]), url=r[6],
            updated_at=as_datetime(r[7]), span_counts=counts.get(r[0], {}),
            cluster_id=clusters[r[0]][0] if r[0] in clusters else None,
            near_copies=clusters[r[0]][1] - 1 if r[0] in clusters else 0,
            finished=None if finished is None else finished.get(r[0], 0),
        )
        for r in rows
    ]


def team_statuses(store: Dataset, conn: Any, ids: list[int]) -> tuple[dict[int, str], dict[int, int] | None]:
    """On a team server: an annotator's own status of each article (shown instead of the review status),
    or, for everyone else, how many annotators finished each. Nothing on a dataset file."""
    if store.is_sqlite:
        return {}, None
    from app.core.team import identity
    from app.core.team import status as team_status

    if identity.team_role(store) == "annotator":  # type: ignore[arg-type]
        return team_status.own_statuses(conn, ids, identity.current_annotator(store, "")), None  # type: ignore[arg-type]
    return {}, team_status.finished_counts(conn, ids)


def as_datetime(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=None)
