"""The import command's report of conversions, and its dry run (``import --dry-run``)."""

from __future__ import annotations

import argparse
from typing import Any

EXIT_OK = 0


def conversion_lines(report: Any) -> list[str]:
    """The summary line of what happened to spans on their way in, then one line per reason."""
    tally = report.tally
    if not tally.counts and not report.suggestions:
        return []
    line = (f"Spans: converted {tally.total('converted')}   trimmed {tally.total('trimmed')}   "
            f"repaired {tally.total('repaired')}   refused {tally.total('refused')}   "
            f"skipped {tally.total('skipped')}   not imported {tally.total('not imported')}")
    if report.suggestions:
        line += f"   Suggestions stored: {report.suggestions}"
    return [line, *(f"  {item}" for item in tally.lines())]


def cmd_import_dry_run(store: object, args: argparse.Namespace) -> int:
    from app.core.ingest.preview import preview_sources

    preview = preview_sources(store, args.sources, args.source_format or "")  # type: ignore[arg-type]
    for line in preview.lines(args.annotator):
        print(line)
    return EXIT_OK
