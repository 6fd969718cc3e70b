"""Which annotator labels which article: a balanced, seeded assignment, and each annotator's queue.

``assign`` gives every article not yet assigned (of the chosen status) to one
annotator, and a share of them (``overlap``) to ``per_article`` annotators, so
that agreement can be measured on those. It is deterministic for a seed: an
article's place in the order is a hash of the seed and its uid, not a shuffle,
so running it again after an import assigns only the new articles and leaves
the earlier assignment as it was. Counts stay balanced: each article goes to the
annotators with the fewest articles so far (earlier assignments included), and
the shared articles go round every pair (or group) of annotators in turn, so
every pair gets about as many articles to compare as every other.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.models import ARTICLE_STATUSES, db_timestamp


@dataclass
class AssignReport:
    articles: int = 0  # articles assigned by this run
    shared: int = 0  # of them, the ones given to several annotators
    per_annotator: dict[str, int] = field(default_factory=dict)  # articles given to each by this run
    totals: dict[str, int] = field(default_factory=dict)  # each annotator's assigned articles, all runs

    def lines(self) -> list[str]:
        said = [f"Assigned {self.articles} article{'s' if self.articles != 1 else ''}"
                f" ({self.shared} to more than one annotator, for agreement)."]
        width = max((len(n) for n in self.per_annotator), default=0)
        for name, count in self.per_annotator.items():
            said.append(f"  {name:<{width}}  +{count:<6} {self.totals.get(name, count)} in all")
        return said


_LOADS = "SELECT annotator, count(*) FROM assignment GROUP BY annotator"  # each annotator's articles so far


def _order_key(seed: int, uid: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{uid}".encode(), digest_size=8).digest()


def plan(uids: Sequence[tuple[int, str]], annotators: Sequence[str], *, per_article: int, overlap: float,
         seed: int, loads: dict[str, int] | None = None,
         group_uses: dict[tuple[str, ...], int] | None = None) -> dict[int, tuple[str, ...]]:
    """The annotators of each article ``(id, uid)``: pure, so it is tested without a dataset.

    ``loads`` are the articles each annotator has already, ``group_uses`` the shared articles each group
    of annotators (names sorted) has already: a later run goes on where the earlier ones left off."""
    names = list(dict.fromkeys(a.strip() for a in annotators if a.strip()))
    _check(names, per_article, overlap)
    load = {name: (loads or {}).get(name, 0) for name in names}
    # Ties in load go to the annotators in a seeded order, not always to the first named.
    rank = {name: _order_key(seed, f"annotator:{name}") for name in names}
    ordered = sorted(uids, key=lambda item: (_order_key(seed, item[1]), item[0]))
    shared_count = round(len(ordered) * overlap) if per_article > 1 else 0
    # The shared articles go to the group (pair, trio) of annotators that has had fewest, in a seeded order
    # among equals: every pair gets about as many to compare as every other, and as every annotator is in
    # as many groups, their totals even out too. The single articles then go to whoever has fewest.
    heap = []
    if shared_count:
        for combo in itertools.combinations(sorted(names), per_article):
            uses = (group_uses or {}).get(combo, 0)
            heap.append((uses, _order_key(seed, "group:" + "\x00".join(combo)), combo))
        heapq.heapify(heap)
    chosen: dict[int, tuple[str, ...]] = {}
    for index, (article_id, _) in enumerate(ordered):
        if index < shared_count:
            uses, key, group = heapq.heappop(heap)
            heapq.heappush(heap, (uses + 1, key, group))
        else:
            group = (min(names, key=lambda n: (load[n], rank[n])),)
        for name in group:
            load[name] += 1
        chosen[article_id] = tuple(sorted(group))
    return chosen


def _check(names: list[str], per_article: int, overlap: float) -> None:
    if not names:
        raise InvalidInput("Name at least one annotator, e.g. --annotators ana,ben.")
    if per_article < 1:
        raise InvalidInput(f"--per-article must be 1 or more, not {per_article}.")
    if per_article > len(names):
        raise InvalidInput(f"--per-article {per_article} needs at least {per_article} annotators; "
                           f"{len(names)} were named.")
    if not 0.0 <= overlap <= 1.0:
        raise InvalidInput(f"--overlap is a share between 0 and 1 (0.2 for 20%), not {overlap}.")


def assign(store: Store, annotators: Sequence[str], *, per_article: int = 2, overlap: float = 0.2,
           status: str | None = "new", seed: int = 0) -> AssignReport:
    """Assign the articles of ``status`` (any, for None) that nobody has been assigned yet."""
    if status is not None and status not in ARTICLE_STATUSES:
        raise InvalidInput(f"Unknown status {status!r}; use one of {', '.join(ARTICLE_STATUSES)}.")
    where = "NOT EXISTS (SELECT 1 FROM assignment WHERE assignment.article_id = article.id)"
    params: dict[str, object] = {}
    if status is not None:
        where += " AND article.status = :status"
        params["status"] = status
    with store.begin() as conn:
        uids = [(int(i), str(u)) for i, u in conn.execute(text(f"SELECT id, uid FROM article WHERE {where}"), params)]
        loads: dict[str, int] = dict(conn.execute(text(_LOADS)).all())
        uses: dict[tuple[str, ...], int] = {}
        for group in _stored_groups(conn):
            uses[group] = uses.get(group, 0) + 1
        chosen = plan(uids, annotators, per_article=per_article, overlap=overlap, seed=seed, loads=loads,
                      group_uses=uses)
        now = db_timestamp()
        rows = [{"a": a, "who": who, "now": now} for a, group in chosen.items() for who in group]
        if rows:
            conn.execute(text("INSERT INTO assignment (article_id, annotator, created_at) VALUES (:a, :who, :now)"),
                         rows)
        totals: dict[str, int] = dict(conn.execute(text(_LOADS)).all())
    report = AssignReport(articles=len(chosen), shared=sum(len(g) > 1 for g in chosen.values()))
    for group in chosen.values():
        for name in group:
            report.per_annotator[name] = report.per_annotator.get(name, 0) + 1
    report.totals = {name: int(totals.get(name, 0)) for name in report.per_annotator or totals}
    return report


def _stored_groups(conn: Any) -> list[tuple[str, ...]]:
    """The group of annotators of each article assigned to several."""
    found: dict[int, list[str]] = {}
    for article_id, who in conn.execute(text("SELECT article_id, annotator FROM assignment ORDER BY article_id")):
        found.setdefault(int(article_id), []).append(str(who))
    return [tuple(sorted(names)) for names in found.values() if len(names) > 1]


def has_assignments(store: Store, annotator: str) -> bool:
    with store.begin() as conn:
        return conn.execute(text("SELECT 1 FROM assignment WHERE annotator = :who LIMIT 1"),
                            {"who": annotator}).first() is not None


def next_assigned(store: Store, annotator: str, after: int | None = None) -> int | None:
    """The annotator's next article to do after ``after`` in id order, wrapping round; None when all are done."""
    sql = ("SELECT assignment.article_id FROM assignment LEFT JOIN article_status ON "
           "article_status.article_id = assignment.article_id AND article_status.annotator = assignment.annotator "
           "WHERE assignment.annotator = :who AND coalesce(article_status.status, 'new') IN ('new', 'in_progress') "
           "AND assignment.article_id {op} :after ORDER BY assignment.article_id LIMIT 1")
    with store.begin() as conn:
        for op in (">", "<>"):  # after the current one, then from the start
            row = conn.execute(text(sql.format(op=op)), {"who": annotator, "after": after or 0}).first()
            if row is not None:
                return int(row[0])
    return None


def assigned_clause(params: dict[str, object], annotator: str) -> str:
    """The library's "assigned to me" condition on ``article``."""
    params["assigned_to"] = annotator
    return "article.id IN (SELECT article_id FROM assignment WHERE annotator = :assigned_to)"
