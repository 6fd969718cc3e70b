"""Each annotator's own status of an article (table ``article_status``, migration 0015).

An article is new for an annotator until they label in it (then in progress)
or mark it; agreement is computed on the articles two annotators both marked
done. ``article.status`` stays the dataset's working status beside it: on a
dataset file the one annotator's, so the library keeps reading an indexed
column of ``article``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text

from app.core.db.in_lists import select_in

_UPSERT = ("INSERT INTO article_status (article_id, annotator, status, updated_at) VALUES (:a, :who, :s, :now) "
           "ON CONFLICT (article_id, annotator) DO UPDATE SET ")
_SET = _UPSERT + "status = excluded.status, updated_at = excluded.updated_at"
# Labelling in an article starts it: new becomes in progress, done or skipped stay.
_STARTED = _UPSERT + ("updated_at = excluded.updated_at, status = CASE WHEN article_status.status = 'new' "
                      "THEN 'in_progress' ELSE article_status.status END")


def mark_started(conn: Any, pairs: Iterable[tuple[int, str]], now: datetime) -> None:
    """Labelling by ``annotator`` in ``article_id`` for each pair: their new article becomes in progress."""
    rows = [{"a": int(a), "who": who, "s": "in_progress", "now": now} for a, who in sorted(set(pairs))]
    if rows:
        conn.execute(text(_STARTED), rows)


def set_own(conn: Any, article_ids: Sequence[int], annotator: str, status: str, now: datetime) -> None:
    rows = [{"a": int(a), "who": annotator, "s": status, "now": now} for a in article_ids]
    if rows:
        conn.execute(text(_SET), rows)


def set_each(conn: Any, rows: Iterable[tuple[int, str, str]], now: datetime) -> None:
    """Set (article id, annotator, status) for each row, e.g. the statuses an import brings."""
    params = [{"a": int(a), "who": who, "s": s, "now": now} for a, who, s in rows]
    if params:
        conn.execute(text(_SET), params)


def restore_own(conn: Any, statuses: dict[int, str], annotator: str, now: datetime) -> None:
    rows = [{"a": int(a), "who": annotator, "s": s, "now": now} for a, s in statuses.items()]
    if rows:
        conn.execute(text(_SET), rows)


def own_statuses(conn: Any, article_ids: Sequence[int], annotator: str) -> dict[int, str]:
    """``annotator``'s status of each article ("new" without a row)."""
    found = dict(select_in(conn, "SELECT article_id, status FROM article_status WHERE annotator = :who "
                                 "AND article_id IN :values", [int(a) for a in article_ids], {"who": annotator}))
    return {int(a): found.get(int(a), "new") for a in article_ids}


def finished(conn: Any, annotators: Sequence[str] = ()) -> dict[str, set[int]]:
    """The articles each annotator marked done (all annotators, or only ``annotators``)."""
    rows = conn.execute(text("SELECT annotator, article_id FROM article_status WHERE status = 'done'"))
    wanted = set(annotators)
    done: dict[str, set[int]] = {}
    for who, article_id in rows:
        if not wanted or who in wanted:
            done.setdefault(who, set()).add(int(article_id))
    return done


def finished_counts(conn: Any, article_ids: Sequence[int]) -> dict[int, int]:
    """How many annotators marked each article done (absent: none); the gold layer's review is not one."""
    return {int(a): int(n) for a, n in select_in(
        conn, "SELECT article_id, count(*) FROM article_status WHERE status = 'done' AND annotator <> 'gold' "
              "AND article_id IN :values GROUP BY article_id", [int(a) for a in article_ids])}
