"""The ``copy`` command: a whole dataset into a new one, between a file and a PostgreSQL database."""

from __future__ import annotations

import argparse
import sys

from app.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, ProgressDisplay, _count
from app.core.cancel import CancelToken


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "copy", help="copy a dataset into a new one: a file to a PostgreSQL database, or back",
        description="Copy every article, downloaded page, label, span of every annotator, entity, suggestion, "
        "status and import record of SRC into DEST, ids included. Each is a dataset file or a database URL "
        "(postgresql+psycopg://user@host:port/db). DEST must be new or empty; SRC is only read.")
    p.add_argument("src", metavar="SRC", help="the dataset to copy (file or URL)")
    p.add_argument("dest", metavar="DEST", help="a new dataset file, or an empty database (createdb NAME)")


def cmd_copy(args: argparse.Namespace) -> int:
    from app.core.cancel import Cancelled
    from app.core.db.copy import CopyProgress, CopyRefused, copy_dataset, shown
    from app.core.db.store import DATABASE_ERRORS, StoreError, describe_db_error

    display = ProgressDisplay(sys.stderr, "Copying")
    cancel = CancelToken()

    def show(p: CopyProgress) -> None:
        display(p.done, p.total, f"{p.table.replace('_', ' ')} {p.table_done}/{p.table_total}")

    try:
        report = copy_dataset(args.src, args.dest, progress=show, cancel=cancel)
    except (CopyRefused, StoreError) as exc:
        print(f"article-curator copy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, Cancelled):
        cancel.cancel()
        print(f"\nInterrupted: nothing was copied into {shown(args.dest)}.", file=sys.stderr)
        return EXIT_SOME_FAILED
    except DATABASE_ERRORS as exc:
        print(f"article-curator copy: the copy failed, and nothing was copied into {shown(args.dest)}: "
              f"{describe_db_error(exc)}.", file=sys.stderr)
        return EXIT_SOME_FAILED
    finally:
        display.close()
    rate = report.articles / report.seconds if report.seconds else 0
    print(f"Copied {_count(report.articles, 'article')} ({_count(sum(report.rows.values()), 'row')} in all) "
          f"from {report.source} to {report.dest} in {report.seconds:.1f} s ({rate:,.0f} articles/s).")
    return EXIT_OK
