"""``article-curator repair SRC DEST``: copy every readable article of a damaged dataset into a new one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE

if TYPE_CHECKING:
    from app.core.db.repair import RepairReport


def cmd_repair(args: argparse.Namespace) -> int:
    from app.core.db.repair import RepairRefused, repair_dataset
    from app.core.db.store import StoreError

    try:
        report = repair_dataset(Path(args.src), Path(args.dest),
                                progress=lambda step: print(f"Repairing: {step}", file=sys.stderr, flush=True))
    except (RepairRefused, StoreError) as exc:
        print(f"article-curator repair: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for line in describe_repair(report):
        print(line)
    return EXIT_OK if report.complete else EXIT_SOME_FAILED


def describe_repair(report: RepairReport) -> list[str]:
    """The summary of a repair: both datasets, what was saved, what was not."""
    articles, spans = report.tables["article"], report.tables["span"]
    lines = [f"Repaired {report.source} into {report.dest}: saved {articles.saved} articles, {spans.saved} spans, "
             f"{report.saved('label')} labels and {report.saved('import_log')} import records."]
    if report.complete:
        lines.append("Nothing was lost.")
        return lines
    lines.append("Could not be saved:")
    lost = report.lost_articles
    if lost:
        named = ", ".join(f"{i} ({uid})" if uid else str(i) for i, uid in lost[:50])
        more = f" and {len(lost) - 50} more" if len(lost) > 50 else ""
        lines.append(f"  {len(lost)} articles, by id (uid): {named}{more}")
    if report.articles_missing_spans:
        ids = ", ".join(str(i) for i in report.articles_missing_spans[:50])
        lines.append(f"  some spans of {len(report.articles_missing_spans)} saved articles, ids: {ids}")
    for table, copy in report.tables.items():
        what = _REPAIRED_ROWS[table]
        if copy.lost_ids and table != "article":  # articles are listed above
            lines.append(f"  {len(copy.lost_ids)} {what}" + (" (of lost articles, or on damaged pages)"
                                                               if table == "span" else ""))
        if copy.unreadable:
            ranges = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in copy.unreadable[:20])
            lines.append(f"  the {what} in unreadable parts of the file (ids {ranges}), however many there were")
    return lines


_REPAIRED_ROWS = {"label": "labels", "article": "articles", "article_source": "downloaded pages of articles",
                  "span": "spans", "import_log": "import records", "suggestion_rejection": "rejected suggestions",
                  "entity": "entities", "entity_alias": "entity aliases",
                  "article_status": "annotators' statuses of articles", "assignment": "assignments of articles",
                  "review_rejection": "spans a reviewer turned down"}
