"""What ``article-curator export --split`` prints about its split: per split, articles, groups and
spans per label, and that no group is in two splits."""

from __future__ import annotations

from typing import Any

_GROUPS = {"cluster": "near-copy clusters", "site": "sites", "none": "articles"}


def split_lines(summary: Any) -> list[str]:
    if not summary.per_split:
        return []
    group_by = getattr(summary, "group_by", "") or "none"
    groups = getattr(summary, "per_split_groups", {})
    labels = getattr(summary, "per_split_labels", {})
    lines = [f"Split by {_GROUPS.get(group_by, group_by)} (--group-by {group_by}):"]
    for name, n in summary.per_split.items():
        spans = ", ".join(f"{label} {k}" for label, k in labels.get(name, {}).items()) or "no spans"
        lines.append(f"  {name:<5} {n} articles in {groups.get(name, n)} groups; spans: {spans}")
    straddling = getattr(summary, "straddling_groups", 0)
    if straddling:
        lines.append(f"  {straddling} near-copy clusters are in two splits.")
    else:
        lines.append("  No group is in two splits.")
    return lines
