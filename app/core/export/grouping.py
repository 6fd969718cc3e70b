"""Leak-free splits: the group an article is split with, and what each split received.

A split decided per article puts one wire story's forty copies in train and
test alike, and a model's test score then rewards memorising it. So the export
splits groups: by default an article's near-copy cluster (its key is the uid of
the cluster's first article), or its site, or nothing (the article's own uid,
the split of earlier versions). A site's group also takes in every site its
near copies ran on (copies of one wire story on two sites must not land in two
splits), so it is a connected component of sites joined by clusters, named by
its first site key. The split is ``split_for(group key, seed)``: hashed, never
shuffled, so an article's split does not change because others arrived, except
when a new article joins two groups into one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.core.export.formats import SPLIT_NAMES

if TYPE_CHECKING:
    from app.core.db.reader import Reader


GROUP_BY = ("cluster", "site", "none")

# Rows of the export's article query: (id, uid, url, ..., site_name at 6, ...).
_ID, _UID, _URL, _SITE = 0, 1, 2, 6


class Grouping:
    """The group key of each article of one export, read from the export's snapshot ``reader``."""

    def __init__(self, reader: Reader, group_by: str) -> None:
        self.reader = reader
        self.group_by = group_by
        # Sites joined by clusters are known only from the whole dataset, so they are read once.
        self._site_groups = _site_components(reader) if group_by == "site" else {}

    def keys(self, rows: Sequence[Sequence[Any]]) -> list[str]:
        """The group key of each article row of one export batch (rows in id order)."""
        if self.group_by == "site":
            return [self._site_groups.get(site, site) for site in map(_site_key, rows)]
        if self.group_by == "none" or not rows:
            return [row[_UID] for row in rows]
        # The cluster's first article's uid; "cluster:<id>" should that article be gone, so
        # its copies still stay together.
        clustered: dict[int, str] = dict(self.reader.rows(
            "SELECT s.article_id, coalesce(c.uid, 'cluster:' || s.cluster_id) FROM article_signature s "
            "LEFT JOIN article c ON c.id = s.cluster_id "
            "WHERE s.article_id BETWEEN :lo AND :hi AND s.cluster_id IS NOT NULL",
            {"lo": rows[0][_ID], "hi": rows[-1][_ID]}))
        return [clustered.get(row[_ID], row[_UID]) for row in rows]

    def clusters(self, rows: Sequence[Sequence[Any]]) -> list[int | None]:
        """The near-copy cluster of each article row (None: in none), checked whatever the grouping."""
        if not rows:
            return []
        cluster_of: dict[int, int] = dict(self.reader.rows(
            "SELECT article_id, cluster_id FROM article_signature "
            "WHERE article_id BETWEEN :lo AND :hi AND cluster_id IS NOT NULL",
            {"lo": rows[0][_ID], "hi": rows[-1][_ID]}))
        return [cluster_of.get(int(row[_ID])) for row in rows]

    def article_keys(self, article_ids: Sequence[int]) -> dict[int, str]:
        """The group key of each of these articles, for exports whose records are not articles (claims)."""
        wanted = {int(i) for i in article_ids}
        if not wanted:
            return {}
        rows = [row for row in _key_rows(self.reader, "WHERE a.id BETWEEN :lo AND :hi",
                                         {"lo": min(wanted), "hi": max(wanted)}) if row[_ID] in wanted]
        return {int(row[_ID]): key for row, key in zip(rows, self.keys(rows), strict=True)}


def group_keys(reader: Reader, rows: Sequence[Sequence[Any]], group_by: str) -> list[str]:
    """The group key of each article row of one batch; an export of many batches keeps one Grouping."""
    return Grouping(reader, group_by).keys(rows)


def article_group_keys(reader: Reader, article_ids: Sequence[int], group_by: str) -> dict[int, str]:
    """The group key of each of these articles; an export of many batches keeps one Grouping."""
    return Grouping(reader, group_by).article_keys(article_ids)


def _key_rows(reader: Reader, where: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Article rows in the export's layout, read for just what the keys need, with the cluster last."""
    return [(i, uid, url, None, None, None, site, cluster) for i, uid, url, site, cluster in reader.rows(
        "SELECT a.id, a.uid, a.url, a.site_name, s.cluster_id FROM article a "
        f"LEFT JOIN article_signature s ON s.article_id = a.id {where} ORDER BY a.id", params)]


def _site_components(reader: Reader) -> dict[str, str]:
    """The group of each site that shares a cluster with another: the least site key of its component.

    A union-find over site keys joined through each cluster; a site that shares no cluster is its
    own group (left out of the map, so it stays small)."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent.get(root, root) != root:
            root = parent[root]
        while key != root:  # path compression keeps later finds short
            parent[key], key = root, parent[key]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            parent[high] = low  # the least key is the root, so the group's name is deterministic

    sites: set[str] = set()
    for row in _key_rows(reader, "WHERE s.cluster_id IS NOT NULL", {}):
        site = _site_key(row)
        sites.add(site)
        union(site, f"~cluster:{row[-1]}")  # "~" sorts after site keys: a root is always a site
    return {site: find(site) for site in sites}


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
    cluster_splits: dict[int, set[str]] = field(default_factory=dict)

    def add(self, split: str, key: str, labels: dict[str, int], cluster: int | None = None) -> None:
        self.groups.setdefault(split, set()).add(key)
        if cluster is not None:
            self.cluster_splits.setdefault(cluster, set()).add(split)
        tally = self.labels.setdefault(split, {})
        for name, n in labels.items():
            tally[name] = tally.get(name, 0) + n

    def per_split_groups(self, names: Sequence[str]) -> dict[str, int]:
        return {name: len(self.groups.get(name, ())) for name in names}

    def per_split_labels(self, names: Sequence[str]) -> dict[str, dict[str, int]]:
        return {name: dict(sorted((k, v) for k, v in self.labels.get(name, {}).items() if v)) for name in names}

    def straddling(self) -> set[int]:
        """Near-copy clusters found in more than one split, whatever the grouping: none, unless the
        export grouped by nothing (or something is wrong). Checked by cluster, not by group key, as
        a group is in one split by construction."""
        return {cluster for cluster, splits in self.cluster_splits.items() if len(splits) > 1}


def split_for(key: str, seed: int, ratios: Sequence[float]) -> str:
    """The split ("train", "dev" or "test") of an article's group (its uid, when grouped by
    nothing), from the group key and the seed alone."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / 2.0**64  # uniform in [0, 1)
    bound = 0.0
    last = SPLIT_NAMES[0]
    for name, ratio in zip(SPLIT_NAMES, ratios, strict=True):
        if ratio <= 0:
            continue
        bound += ratio
        last = name
        if point < bound:
            return name
    return last  # only reached through rounding when the ratios sum to a hair under 1


def split_paths(out_path: Path) -> dict[str, Path]:
    """``OUT.train.jsonl``, ``OUT.dev.jsonl`` and ``OUT.test.jsonl`` for ``OUT.jsonl``.

    All three are written even when a ratio is 0 (the file is then empty), so no
    file left from an earlier export with other ratios can pass for part of this one.
    """
    suffix = out_path.suffix or ".jsonl"
    stem = out_path.stem if out_path.suffix else out_path.name
    return {name: out_path.with_name(f"{stem}.{name}{suffix}") for name in SPLIT_NAMES}
