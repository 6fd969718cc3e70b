"""The ``article-curator`` command: the GUI by default, subcommands for headless work.

Exit status: 0 when everything worked, 1 when some items failed (the rest were
kept), 2 for usage errors. Nothing a user can cause prints a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from app import __version__
from app.core.cancel import CancelToken

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
# Subcommands that change the dataset they open: refused on a read-only one.
WRITING_COMMANDS = ("import", "suggest", "link", "assign")
# Subcommands that read every page first (about a second per 100,000 articles), since
# they would not meet damage themselves: stats reads only counts, and an import (or a
# suggest) must not write into a damaged file. Export and search meet it where it matters.
CHECKED_COMMANDS = ("import", "suggest", "stats", "link")
# Whether stats, search and export read an up-to-date dataset file without SQLAlchemy (app/core/db/file_reader.py);
# tests turn it off to compare the two ways.
QUICK_READS = True
_NOTHING_WRITTEN = {"import": "Nothing was imported.", "suggest": "No suggestions were stored.",
                    "link": "No spans were linked.", "assign": "Nothing was assigned."}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _similarity(text: str) -> float:
    """A near-copy threshold: a share in (0, 1], or a percentage (80 or 80%) as the settings show it."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a similarity (e.g. 0.8 or 80%)") from None
    if 1 < value <= 100:
        value /= 100
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a similarity between 0 and 1 (or 1% and 100%)")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    from app.core.export.formats import ALIGN_MODES, DEFAULT_SEED, FORMATS, SCHEMES
    from app.core.ingest.fetch_options import MB, FetchOptions
    from app.core.ingest.format_names import FORMAT_NAMES
    from app.models import ARTICLE_STATUSES

    db_help = "dataset file or database URL (default: the dataset in your data folder, or $ARTICLE_CURATOR_DB)"
    # The subcommands' --db has a name of its own: with one shared name, a subcommand's
    # default (None) would overwrite a --db given before the subcommand.
    common = _Parser(add_help=False)
    common.add_argument("--db", dest="sub_db", metavar="PATH_OR_URL", help=db_help)

    parser = _Parser(
        prog="article-curator",
        description="Build labelled training sets (people, organisations, claims) from news articles. "
        "Without a subcommand, starts the desktop app.",
    )
    parser.add_argument("--db", metavar="PATH_OR_URL", help=db_help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Start the desktop app, show the window, and quit with status 0 after this many
    # seconds: the packaging smoke test's way to prove an installed app starts.
    parser.add_argument("--quit-after", type=_seconds, metavar="SECONDS", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", parents=[common], help="import URLs, feeds, sitemaps, files or folders")
    p.add_argument("sources", nargs="+", metavar="URL|PATH")
    p.add_argument("--workers", type=int, default=0, help="extraction processes (default: one per core)")
    p.add_argument("--timeout", type=float, default=FetchOptions.timeout,
                   help="seconds allowed per URL (default %(default)g)")
    p.add_argument("--concurrency", type=int, default=FetchOptions.concurrency,
                   help="downloads at once (default %(default)d)")
    p.add_argument("--max-mb", type=float, default=FetchOptions.max_bytes / MB,
                   help="largest page to download, in MB (default %(default)g)")
    p.add_argument("--annotator", default="", metavar="NAME",
                   help="import the files' spans as NAME's layer (whatever annotator they name), also adding them "
                        "to articles the dataset already holds; NAME's status of each article is the record's "
                        "status, or done when it has spans")
    p.add_argument("--from", dest="source_format", choices=FORMAT_NAMES,
                   help="read the files as this tool's format (default: recognised from their content)")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be imported (documents, spans, layers, conversions, skips); write nothing")

    p = sub.add_parser("export", parents=[common],
                       help="export labelled JSONL, claims as records, CoNLL, Hugging Face or spaCy data",
                       description="native, spacy and doccano write one line per article (native and spacy "
                       "with NAME.entities.jsonl beside it, the entities their spans link to); claims writes one "
                       "line per claim, claimreview a JSON array of schema.org ClaimReview objects; conll, hf and "
                       "spacy-docbin are token-level formats of the entity spans.")
    p.add_argument("out", metavar="OUT", help="the file to write, ending in the format's extension: .jsonl; "
                   ".json for claimreview and labelstudio; .conll; .spacy for spacy-docbin. Another format's "
                   "extension is replaced, any other ending gets the extension added, and the export says so")
    p.add_argument("--format", choices=FORMATS, default=FORMATS[0])
    p.add_argument("--status", action="append", default=[], help="only articles with this status (repeatable)")
    p.add_argument("--label", action="append", default=[], help="only spans with this label (repeatable)")
    p.add_argument("--annotator", action="append", default=[],
                   help="only spans by this annotator (repeatable); without it the gold layer a reviewer made, "
                        "or every annotator's spans when there is none")
    p.add_argument("--all-layers", action="store_true",
                   help="every annotator's spans (and the gold layer's), each with its annotator")
    p.add_argument("--split", metavar="TRAIN,DEV,TEST", help="e.g. 0.8,0.1,0.1: add a deterministic split")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--split-files", action="store_true",
                   help="write one file per split instead of a field (the token formats always do)")
    p.add_argument("--align", choices=ALIGN_MODES, default=ALIGN_MODES[0],
                   help="conll, hf, spacy-docbin: a span whose ends are not token boundaries is expanded to the "
                   "tokens it touches, contracted to the tokens inside it, or (strict) left out; each is reported "
                   "(default %(default)s)")
    p.add_argument("--scheme", choices=SCHEMES, default=SCHEMES[0], help="conll, hf: tag scheme (default %(default)s)")
    p.add_argument("--group-by", choices=("cluster", "site", "none"), default="cluster",
                   help="keep each near-copy cluster (default), each site (with every site its near copies "
                        "ran on), or nothing together in one split")

    p = sub.add_parser("verify", help="check an export's files against its manifest",
                       description="Check every file NAME.manifest.json lists (missing, truncated, extra lines, "
                       "changed) and say what differs. Exit status 0 when all match, 1 otherwise.")
    p.add_argument("manifest", metavar="NAME.manifest.json")

    p = sub.add_parser("stats", parents=[common],
                       help="articles per status, spans per label, suggestions accepted per label")
    p.add_argument("--json", action="store_true", help="every figure of View ▸ Overview, as one JSON object")

    p = sub.add_parser("suggest", parents=[common], help="pre-compute suggested spans for articles to review",
                       description="Learn from the done articles' labels (and the suggestions rejected so far), "
                       "then store suggestions for the articles of one status as a layer to review in the app. "
                       "Each article's earlier layer is replaced; its spans are not touched.")
    p.add_argument("--status", choices=ARTICLE_STATUSES, default="new",
                   help="suggest for the articles with this status (default %(default)s)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="at most N articles, oldest first")

    p = sub.add_parser("near-copies", parents=[common], help="count near copies; --recluster clusters all again")
    p.add_argument("--recluster", action="store_true",
                   help="sign articles without a signature and cluster every article again (after a change of "
                        "the threshold, or deletions)")
    p.add_argument("--threshold", type=_similarity,
                   help="similarity for --recluster, 0.8 or 80%% (default: the setting, 0.8)")

    p = sub.add_parser("entities", parents=[common], help="list known people and organisations with their counts")
    p.add_argument("--kind", metavar="LABEL", help="only entities of this label, e.g. PERSON")
    p.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")

    p = sub.add_parser("link", parents=[common], help="link entity spans to known entities",
                       description="With --auto, link every unlinked entity span whose text names exactly one "
                       "entity of its label (by canonical name or alias, ignoring case, accents and a possessive), "
                       "and list the texts that name several.")
    p.add_argument("--auto", action="store_true", required=True,
                   help="link the spans whose text matches exactly one entity")

    from app.cli.assign import add_parser as add_assign

    add_assign(sub, common)

    from app.cli.agreement import add_parser as add_agreement

    add_agreement(sub, common)

    p = sub.add_parser("search", parents=[common], help="full-text search over titles and texts")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=int, default=20)

    p = sub.add_parser("repair", help="copy every readable article of a damaged dataset into a new one",
                       description="Copy every article, span and import record that can still be read from "
                       "the damaged dataset SRC into a new dataset DEST, and list what could not be saved.")
    p.add_argument("src", metavar="SRC", help="the damaged dataset file (only read)")
    p.add_argument("dest", metavar="DEST", help="the new dataset file to create (must not exist)")
    from app.cli.copy import add_parser as add_copy_parser

    add_copy_parser(sub)

    from app.cli.users import add_parser as add_users_parser

    add_users_parser(sub, common)
    return parser


def _dataset_argument(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The one --db of the command line, given before or after the subcommand."""
    from app.core.paths import resolve_dataset

    before, after = args.db, getattr(args, "sub_db", None)
    if before and after and resolve_dataset(before) != resolve_dataset(after):
        from app.core.team.credentials import shown

        parser.error(f"--db is given twice with different datasets ({shown(before)} and {shown(after)}); give it once")
    if before and args.command in ("repair", "copy"):
        parser.error(f"{args.command} takes its datasets as SRC and DEST, not --db")
    return after or before


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # a reader that went away shows here, not as a message at exit
    except BrokenPipeError:
        # Piped into head or less, which stopped reading: end quietly, as Unix tools do.
        # Python would report the failed flush of its streams again at exit: point them
        # at the null device first (the recipe of Python's signal module documentation).
        _silence_standard_streams()
        return EXIT_SOME_FAILED
    return status


def _silence_standard_streams() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    db = _dataset_argument(parser, args)
    if args.command is None:
        return _start_gui(db, args.quit_after)
    if args.command == "repair":
        from app.cli.repair import cmd_repair

        return cmd_repair(args)
    if args.command == "copy":
        from app.cli.copy import cmd_copy

        return cmd_copy(args)
    if args.command == "verify":
        from app.cli.verify import cmd_verify

        return cmd_verify(args)
    if args.command == "import" and args.dry_run:
        # Before the dataset is opened as usual, which would create a missing one or upgrade an old one.
        from app.cli.import_tools import cmd_import_dry_run

        return cmd_import_dry_run(db, args)
    if QUICK_READS and _reads_quickly(args):
        from app.core.db.file_reader import DatasetBusy, open_for_reading

        # An up-to-date dataset file is read through sqlite3 alone: no SQLAlchemy to load.
        try:
            dataset = open_for_reading(db)
        except DatasetBusy as busy:
            from app.core.db.store import _open_error

            print(f"article-curator: {_open_error(busy.path, str(busy.path), busy.error)}", file=sys.stderr)
            return EXIT_USAGE
        if dataset is not None:
            return _run(dataset, args)
    from app.cli.users import ask_password
    from app.core.db.store import StoreError, open_store
    from app.core.team.credentials import set_password_prompt

    set_password_prompt(ask_password)  # a team server's password, when the keyring lacks it
    try:
        # Not exclusive: the subcommands do not take the desktop app's dataset lock.
        # SQLite's own locking (WAL, busy timeout) keeps an import from the command
        # line safe while the app, or another import, has the same dataset open.
        store = open_store(db)
    except StoreError as exc:
        print(f"article-curator: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _run(store, args)


def _reads_quickly(args: argparse.Namespace) -> bool:
    """Whether the command only reads what ``file_reader`` offers (no upgrade, no writes, no overview)."""
    if args.command == "search":
        return True
    if args.command == "stats":
        return not args.json
    if args.command == "export":
        # The formats of the exporter's own loop; a split may first cluster the articles (a write).
        return args.format in ("native", "spacy", "doccano", "labelstudio") and args.split is None
    return False


def _run(store: Any, args: argparse.Namespace) -> int:
    """Run the subcommand on the open dataset ``store`` (a ``Store`` or a ``FileDataset``), then close it."""
    from app.core.db.sqlite_file import describe_db_error, is_damage, read_only_message

    try:
        if args.command in WRITING_COMMANDS and store.read_only:
            print(f"article-curator {args.command}: {read_only_message(store.where)}", file=sys.stderr)
            return EXIT_USAGE
        damage = _damage(store) if args.command in CHECKED_COMMANDS else None
        if damage and args.command in WRITING_COMMANDS:
            print(f"article-curator {args.command}: {damage} {_NOTHING_WRITTEN[args.command]}", file=sys.stderr)
            return EXIT_SOME_FAILED
        status = _handler(args.command)(store, args)
        if damage:
            print(f"article-curator: {damage}", file=sys.stderr)
            return EXIT_SOME_FAILED
        return status
    except KeyboardInterrupt:
        print("\nInterrupted: what was finished is kept.", file=sys.stderr)
        return EXIT_SOME_FAILED
    except store.database_errors as exc:
        # The store's: SQLAlchemy's errors, and sqlite3's own from the export's direct reads; sqlite3's alone
        # on the quick reads.
        if is_damage(exc):
            from app.core.db.repair import damaged_message

            print(f"article-curator: {damaged_message(store)}", file=sys.stderr)
            return EXIT_SOME_FAILED
        reason = describe_db_error(exc)
        hint = " Try again when the other program is done." if "locked" in reason else ""
        print(f"article-curator: the dataset {store.where} could not be used: {reason}.{hint}", file=sys.stderr)
        return EXIT_SOME_FAILED
    finally:
        store.close()


# The subcommands defined in modules of their own, loaded only when they run.
_HANDLERS = {"suggest": ("app.cli.suggest", "cmd_suggest"), "entities": ("app.cli.entities", "cmd_entities"),
             "link": ("app.cli.entities", "cmd_link"), "near-copies": ("app.cli.near_copies", "cmd_near_copies"),
             "assign": ("app.cli.assign", "cmd_assign"), "users": ("app.cli.users", "cmd_users"),
             "agreement": ("app.cli.agreement", "cmd_agreement")}


def _handler(command: str) -> Callable[[Any, argparse.Namespace], int]:
    here = {"import": cmd_import, "export": cmd_export, "stats": cmd_stats, "search": cmd_search}
    if command in here:
        return here[command]
    module, name = _HANDLERS[command]
    return getattr(importlib.import_module(module), name)


def _damage(store: Any) -> str | None:
    """The damaged-dataset sentence when the dataset's pages do not all read back, else None."""
    from app.core.db.sqlite_file import check_integrity

    if not check_integrity(store):
        return None
    from app.core.db.repair import damaged_message

    return damaged_message(store)


def _start_gui(db: str | None, quit_after: float | None = None) -> int:
    from app import platform_check

    # Before Qt is loaded: without a display or a system library Qt aborts the
    # process with a dump about platform plugins; say what is wrong instead.
    problem = platform_check.check_platform()
    if problem:
        print(problem, file=sys.stderr)
        return platform_check.EXIT_CANNOT_START
    try:
        import PySide6.QtWidgets  # noqa: F401 - fails here, not half-way through start-up

        from app.widgets.app import run_gui
    except ImportError as exc:
        print(platform_check.describe_import_error(exc), file=sys.stderr)
        return platform_check.EXIT_CANNOT_START
    return int(run_gui(db, quit_after=quit_after))


class ProgressDisplay:
    """A one-line bar on a terminal; plain lines (every few percent) when piped."""

    def __init__(self, stream: TextIO, verb: str) -> None:
        self.stream = stream
        self.verb = verb
        self.tty = stream.isatty()
        self.last_step = -1

    def __call__(self, done: int, total: int, item: str, outcome: object = None) -> None:
        total = max(total, done, 1)
        if self.tty:
            width = 30
            filled = int(width * done / total)
            name = item if len(item) <= 50 else "…" + item[-49:]
            self.stream.write(f"\r{self.verb} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<50}")
            self.stream.flush()
            return
        step = done * 20 // total  # a line every 5 %
        if step != self.last_step or done == total:
            self.last_step = step
            self.stream.write(f"{self.verb}: {done}/{total}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def cmd_import(store: object, args: argparse.Namespace) -> int:
    from app.core.ingest.extraction import ExtractOptions
    from app.core.ingest.fetch_options import MB, FetchOptions
    from app.core.ingest.importer import ImportOptions, import_sources
    from app.core.settings import load_settings

    options = ImportOptions(
        fetch=FetchOptions(timeout=args.timeout, concurrency=max(1, args.concurrency),
                           max_bytes=int(args.max_mb * MB)),
        extract=ExtractOptions(),
        workers=max(0, args.workers),
        annotator=args.annotator,
        layer=args.annotator,
        source_format=args.source_format or "",
        near_copy_threshold=load_settings().near_copy_threshold,
    )
    display = ProgressDisplay(sys.stderr, "Importing")
    cancel = CancelToken()
    try:
        report = import_sources(store, args.sources, options, progress=display, cancel=cancel)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        display.close()
    print(f"Imported: {report.imported}   Duplicates: {report.duplicates}   Failed: {len(report.failures)}"
          f"   Dataset: {store.where}")  # type: ignore[attr-defined]
    added, articles = report.spans_added
    if args.annotator and (added or report.duplicates):  # what became of the copies of stored articles
        print(f"Added to articles already in the dataset: {_count(added, 'span')} of {args.annotator}'s layer in "
              f"{_count(articles, 'article')}")
    if report.skipped:
        print(f"Skipped on purpose: {len(report.skipped)} (e.g. {report.skipped[0]})")
    for note in report.label_notes():
        print(note)
    for line in report.conversion_notes():
        print(line)
    for o in report.outcomes:
        if o.outcome == "duplicate":
            print(f"  duplicate  {o.source}: {o.reason}")
    for o in report.near_copies:  # imported all the same: the copy may carry other spans
        print(f"  near copy  {o.source}: {o.reason}")
    for o in report.failures:
        print(f"  failed     {o.source}: {o.reason}")
    return EXIT_SOME_FAILED if report.failures else EXIT_OK


def _parse_split(text: str | None) -> tuple[float, float, float] | None:
    """The numbers of ``--split``; whether they make a split is for ``ExportOptions`` to say."""
    if not text:
        return None
    try:
        return tuple(float(p) for p in text.split(","))  # type: ignore[return-value]
    except ValueError:
        raise ValueError("--split takes three numbers separated by commas, e.g. 0.8,0.1,0.1") from None


def _say_unreviewed(store: object, options: object) -> None:
    """The gold layer is exported by default: say which articles it leaves out, and how to have them."""
    from app.core.export.exporter import left_unreviewed, with_layer

    left = left_unreviewed(store, with_layer(store, options))  # type: ignore[arg-type]
    if left:
        print(f"  The gold layer (a reviewer's) is exported: {left} article{'s' if left != 1 else ''} no reviewer "
              "has finished yet were left out. --all-layers exports every annotator's spans of every article; "
              "--annotator NAME one annotator's.")


def cmd_export(store: object, args: argparse.Namespace) -> int:
    from app.cli.export_split import split_lines
    from app.core.errors import InvalidInput
    from app.core.export.exporter import ExportError, ExportOptions, export_jsonl
    from app.core.export.formats import CLAIM_FORMATS, EXTENSION_NOTES, EXTENSIONS, with_extension

    try:
        options = ExportOptions(format=args.format, statuses=tuple(args.status), labels=tuple(args.label),
                                annotators=tuple(args.annotator), all_layers=args.all_layers,
                                split=_parse_split(args.split), seed=args.seed,
                                split_files=args.split_files, align=args.align, scheme=args.scheme,
                                group_by=args.group_by)
    except ValueError as exc:  # InvalidInput included
        print(f"article-curator export: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    if out.is_dir():
        example = out / with_extension(Path("export"), args.format)
        print(f"article-curator export: error: {out} is a folder; give a file name such as {example}",
              file=sys.stderr)
        return EXIT_USAGE
    named = with_extension(out, args.format)
    if named != out:
        # Friendlier than refusing: the reader of the format would not find the file under its own name.
        print(f"article-curator export: writing {named}: {EXTENSION_NOTES[EXTENSIONS[args.format]]}",
              file=sys.stderr)
        out = named
    display = ProgressDisplay(sys.stderr, "Exporting")
    try:
        summary = export_jsonl(store, out, options, progress=display)  # type: ignore[arg-type]
    except OSError as exc:
        print(f"article-curator export: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    except (ExportError, InvalidInput) as exc:
        print(f"article-curator export: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    finally:
        display.close()
    claims = f"{sum(summary.spans_per_label.values())} claims from " if args.format in CLAIM_FORMATS else ""
    print(f"Exported {claims}{summary.articles} articles ({args.format}) from {store.where}.")  # type: ignore[attr-defined]
    _say_unreviewed(store, options)
    for label, n in sorted(summary.spans_per_label.items()):
        print(f"  {label}: {n} {'claims' if claims else 'spans'}")
    from app.core.export.manifest import manifest_paths

    for path in [*summary.paths, *getattr(summary, "extra_files", [])]:
        print(f"  wrote {path}")
    if summary.entities_path is not None:
        print(f"  wrote {summary.entities_path} ({summary.entities} entities)")
    for path in manifest_paths(out):
        print(f"  wrote {path}")
    for line in split_lines(summary):
        print(line)
    # The token formats report every span they moved or left out (the dialog shows the first few).
    for warning in getattr(summary, "all_warnings", summary.warnings):
        print(warning if warning.startswith("  ") else f"Warning: {warning}")
    return EXIT_OK


def cmd_stats(store: object, args: argparse.Namespace) -> int:
    from app.core.ops import library_reads as library
    from app.core.suggest.acceptance import acceptance_percent, acceptance_rates
    from app.models import ARTICLE_STATUSES

    if getattr(args, "json", False):
        from app.cli.stats import cmd_stats_json

        return cmd_stats_json(store, args)
    statuses = library.status_counts(store)  # type: ignore[arg-type]
    print(f"Dataset: {getattr(store, 'where', '')}")
    print(f"Articles: {sum(statuses.values())}")
    for status in ARTICLE_STATUSES:
        print(f"  {status:<12}{statuses.get(status, 0):>8}")
    print("Spans per label:")
    for label, n in library.label_counts(store).items():  # type: ignore[arg-type]
        print(f"  {label:<12}{n:>8}")
    rates = acceptance_rates(store)  # type: ignore[arg-type]
    if rates:
        print("Suggestions accepted per label:")
        for label, (accepted, rejected) in rates.items():
            percent = acceptance_percent(accepted, rejected)
            print(f"  {label:<12}{percent:>7}%   ({accepted} accepted, {rejected} rejected)")
    return EXIT_OK


def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def cmd_search(store: object, args: argparse.Namespace) -> int:
    from app.core.ops import library_reads as library

    query = " ".join(args.query)
    rows = library.search(store, query, limit=max(1, args.limit))  # type: ignore[arg-type]
    if not rows:
        print(f"No articles match {query!r}.")
        return EXIT_OK
    for row in rows:
        print(f"{row.uid}  [{row.status}]  {row.title or '(untitled)'}  {row.url or ''}".rstrip())
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
