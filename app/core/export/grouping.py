"""Leak-free splits: the group an article is split with, and what each split received.

A split decided per article puts one wire story's forty copies in train and
test alike, and a model's test score then rewards memorising it. So the export
splits groups: by default an article's near-copy cluster (its key is the uid of
the cluster's first article), or its site, or nothing (the article's own uid,
the split of earlier versions). The split is ``split_for(group key, seed)``:
hashed, never shuffled, so an article's split does not change because others
arrived, except when a new article joins two clusters into one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, text

GROUP_BY = ("cluster", "site", "none")

# Rows of the export's article query: (id, uid, url, ..., site_name at 6, ...).
_ID, _UID, _URL, _SITE = 0, 1, 2, 6


def group_keys(conn: Connection, rows: Sequence[Sequence[Any]], group_by: str) -> list[str]:
    """The group key of each article row of one export batch (rows in id order)."""
    if group_by == "site":
        return [_site_key(row) for row in rows]
    if group_by == "none" or not rows:
        return [row[_UID] for row in rows]
    # The cluster's first article's uid; "cluster:<id>" should that article be gone, so
    # its copies still stay together.
    clustered: dict[int, str] = dict(conn.execute(text(
        "SELECT s.article_id, coalesce(c.uid, 'cluster:' || s.cluster_id) FROM article_signature s "
        "LEFT JOIN article c ON c.id = s.cluster_id "
        "WHERE s.article_id BETWEEN :lo AND :hi AND s.cluster_id IS NOT NULL"),
        {"lo": rows[0][_ID], "hi": rows[-1][_ID]}).all())
    return [clustered.get(row[_ID], row[_UID]) for row in rows]


def article_group_keys(conn: Connection, article_ids: Sequence[int], group_by: str) -> dict[int, str]:
    """The group key of each of these articles, for exports whose records are not articles (claims)."""
    wanted = {int(i) for i in article_ids}
    if not wanted:
        return {}
    # The export's article-row layout, read for just what the keys need.
    rows: list[tuple[Any, ...]] = [(i, uid, url, None, None, None, site) for i, uid, url, site in conn.execute(text(
        "SELECT id, uid, url, site_name FROM article WHERE id BETWEEN :lo AND :hi ORDER BY id"),
        {"lo": min(wanted), "hi": max(wanted)}) if i in wanted]
    return {int(row[_ID]): key for row, key in zip(rows, group_keys(conn, rows, group_by), strict=True)}


def _site_key(row: Sequence[Any]) -> str:
    """The article's site: its site name, else its address's host, else (pasted text) its own uid."""
    if row[_SITE]:
        return f"site:{str(row[_SITE]).casefold()}"
    host = urlsplit(row[_URL]).hostname if row[_URL] else None
    if host:
        return f"site:{host.removeprefix('www.')}"
    return row[_UID]


@dataclass
class SplitTally:
    """Groups and spans per label of each split, counted while the export writes."""

    groups: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, split: str, key: str, labels: dict[str, int]) -> None:
        self.groups.setdefault(split, set()).add(key)
        tally = self.labels.setdefault(split, {})
        for name, n in labels.items():
            tally[name] = tally.get(name, 0) + n

    def per_split_groups(self, names: Sequence[str]) -> dict[str, int]:
        return {name: len(self.groups.get(name, ())) for name in names}

    def per_split_labels(self, names: Sequence[str]) -> dict[str, dict[str, int]]:
        return {name: dict(sorted((k, v) for k, v in self.labels.get(name, {}).items() if v)) for name in names}

    def straddling(self) -> set[str]:
        """Groups found in more than one split (none, unless something is wrong)."""
        seen: dict[str, str] = {}
        both: set[str] = set()
        for split, keys in self.groups.items():
            for key in keys:
                if seen.setdefault(key, split) != split:
                    both.add(key)
        return both
