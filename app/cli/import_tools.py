"""The import command's dry run (``import --dry-run``): what would be imported, nothing written."""

from __future__ import annotations

import argparse

EXIT_OK = 0


def cmd_import_dry_run(store: object, args: argparse.Namespace) -> int:
    from app.core.ingest.preview import preview_sources

    preview = preview_sources(store, args.sources, args.source_format or "")  # type: ignore[arg-type]
    for line in preview.lines(args.annotator):
        print(line)
    return EXIT_OK
