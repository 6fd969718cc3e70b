"""The ``verify`` command: an export's files against its manifest."""

from __future__ import annotations

import argparse
import sys

from app.cli import EXIT_OK, EXIT_SOME_FAILED, _count


def cmd_verify(args: argparse.Namespace) -> int:
    from app.core.export.manifest import ManifestError, verify_manifest

    try:
        checked, problems = verify_manifest(args.manifest)
    except ManifestError as exc:
        print(f"article-curator verify: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    if not problems:
        print(f"{'The file matches' if checked == 1 else f'All {checked} files match'} {args.manifest}.")
        return EXIT_OK
    verb = "differs" if len(problems) == 1 else "differ"
    print(f"{len(problems)} of {_count(checked, 'file')} {verb} from {args.manifest}:")
    for problem in problems:
        print(f"  {problem}")
    return EXIT_SOME_FAILED
