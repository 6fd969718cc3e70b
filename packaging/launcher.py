"""Entry point of the PyInstaller build: ``article-curator`` as one program.

``multiprocessing.freeze_support()`` comes first: an import starts extraction
workers (multiprocessing "spawn"), and in a frozen app each worker is this same
program started again, which must become the worker instead of the app.

``--bundle-info`` (not in ``--help``) prints, as JSON, where the built app finds
its resources and migrations; packaging/smoke_test.sh uses it.
"""

from __future__ import annotations

import multiprocessing
import sys


def bundle_info() -> int:
    import json

    from app import APP_ID, __version__
    from app.core.db.migrations import MIGRATIONS_DIR, head_revision
    from app.resources import resource_path, resources_root

    print(json.dumps({
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "resources": str(resources_root()),
        "icon": str(resource_path("icons", f"{APP_ID}.svg")),
        "migrations": str(MIGRATIONS_DIR),
        "head_revision": head_revision(),
    }, indent=2))
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if sys.argv[1:] == ["--bundle-info"]:
        sys.exit(bundle_info())
    from app.cli import main

    sys.exit(main())
