"""The ``suggest`` command: a layer of suggested spans stored for review."""

from __future__ import annotations

import argparse
import sys

from app.cli import EXIT_OK, ProgressDisplay, _count


def cmd_suggest(store: object, args: argparse.Namespace) -> int:
    from app.core.settings import load_settings
    from app.core.suggest import service

    settings = load_settings()
    print("Learning from the done articles…", file=sys.stderr, flush=True)
    suggester = service.build_suggester(store, settings)  # type: ignore[arg-type]
    suggester("")  # loads a spaCy pipeline chosen in the settings now, so one that cannot be used is named first
    problem = getattr(suggester, "problem", None)
    source = settings.suggestion_source if not problem else service.DEFAULT_SOURCE
    if problem:
        print(f"article-curator suggest: suggesting from this dataset's labels alone: {problem}", file=sys.stderr)
    ids = service.articles_with_status(store, args.status, args.limit)  # type: ignore[arg-type]
    display = ProgressDisplay(sys.stderr, "Suggesting")
    try:
        # Ctrl+C stops it between statements: the batch being stored is rolled back whole.
        counts = service.precompute(store, suggester, ids, source=source, progress=display)  # type: ignore[arg-type]
    finally:
        display.close()
    print(f"Suggested {_count(sum(counts.values()), 'span')} in {_count(len(ids), 'article')} ({args.status})"
          f"   Dataset: {store.where}")  # type: ignore[attr-defined]
    for label, n in sorted(counts.items()):
        print(f"  {label}: {_count(n, 'suggestion')}")
    return EXIT_OK
