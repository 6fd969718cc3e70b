"""The import command's dry run (``import --dry-run``): what would be imported, nothing written.

The dataset is only read, and only if it exists: a missing one is not created (the
plan is made against an empty dataset) and an older one is not upgraded, as the
plan reads only label names and text hashes, which every version of the dataset has.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.db.store import Store

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_import_dry_run(db: str | None, args: argparse.Namespace) -> int:
    from app.core.db.store import DATABASE_ERRORS, StoreError, describe_db_error
    from app.core.ingest.preview import preview_sources

    try:
        store, note = _open_for_reading(db)
    except StoreError as exc:
        print(f"article-curator: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        preview = preview_sources(store, args.sources, args.source_format or "")
    except KeyboardInterrupt:
        print("\nInterrupted: nothing was written.", file=sys.stderr)
        return EXIT_SOME_FAILED
    except DATABASE_ERRORS as exc:
        where = store.where if store is not None else db
        print(f"article-curator import: the dataset {where} could not be read: {describe_db_error(exc)}. "
              "Nothing was written.", file=sys.stderr)
        return EXIT_SOME_FAILED
    finally:
        if store is not None:
            store.close()
    if note:
        print(note)
    for line in preview.lines(args.annotator):
        print(line)
    return EXIT_OK


def _open_for_reading(db: str | None) -> tuple[Store | None, str]:
    """The dataset opened read-only without upgrading it, or None and a note when it does not exist."""
    from sqlalchemy.engine import URL, make_url

    from app.core.db.store import SQLITE_MAGIC, Store, StoreError, create_store_engine, read_only_uri
    from app.core.paths import resolve_dataset

    url = resolve_dataset(db)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return Store(create_store_engine(url), url), ""  # a database server: only read below
    path = Path(parsed.database)
    if not path.is_file() or path.stat().st_size == 0:
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a dataset file.")
        return None, (f"The dataset {path} does not exist yet (or is empty): nothing to compare with, so every "
                      "document and label counts as new. It was not created.")
    with path.open("rb") as f:
        if not f.read(16).startswith(SQLITE_MAGIC):
            raise StoreError(f"{path} is not an Article Curator dataset: it is not a database file.")
    engine = create_store_engine(URL.create("sqlite", database=read_only_uri(path), query={"uri": "true"}),
                                 read_only=True)
    store = Store(engine, url)
    store.read_only = True
    return store, ""
