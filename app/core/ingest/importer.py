"""The import pipeline: URLs, feeds, sitemaps, files and folders into the store.

Downloads run on a bounded thread pool, extraction in killable worker
processes (``ExtractorPool``), and the calling thread stores finished articles
in small batches (one transaction each, so an article is stored whole or not at
all). Every input item ends with an ``ItemOutcome`` and a reason a person
understands, written to the import log; nothing a source does can stop the
batch. ``progress`` is called after each item and ``cancel`` is polled often.
After a cancel, every item that had not finished is reported as "cancelled",
so it can be listed and retried.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.cancel import Cancelled, CancelToken
from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store, describe_db_error
from app.core.export.entities_file import is_entities_file
from app.core.gc_pause import collect_young, no_cyclic_gc
from app.core.ingest import feeds, formats
from app.core.ingest.entity_links import EntityLinks, links_for
from app.core.ingest.extraction import ExtractionError, ExtractOptions
from app.core.ingest.extractor_pool import ExtractorPool
from app.core.ingest.fetch_options import FetchOptions
from app.core.ingest.fetcher import FetchError, FetchResult, fetch, make_client
from app.core.ingest.file_sources import (
    FileSourceError,
    decode,
    expand_folder,
    export_companion,
    file_kind,
    read_bytes,
    read_text_file,
)
from app.core.ingest.formats.conll import SUFFIXES as CONLL_SUFFIXES
from app.core.ingest.formats.suggestions import store_imported_suggestions
from app.core.ingest.import_log import ImportLogWriter
from app.core.ingest.jsonl_reader import iter_jsonl_records
from app.core.ingest.storing import NewLabels, StoreOutcome, duplicate_reason, store_articles_resilient
from app.core.quality.near_copies import DEFAULT_THRESHOLD
from app.core.text_norm import canonical_url, page_canonical_url
from app.core.validation import InvalidInput, NewArticle, validate

log = logging.getLogger(__name__)

CANCELLED_REASON = "Cancelled before it was imported; retry to import it."
# Articles per transaction. Each transaction holds the dataset's write lock, and an edit
# made in the window meanwhile is stored only after it: 16 articles hold it for about
# ten milliseconds, 64 held it for 50-150 ms on a busy machine. The price is one more
# commit (a disk sync) per 16 articles: a 20,000-line JSONL import takes about a third
# longer (10.7 s instead of 8 s here); web imports wait on downloads and extraction instead.
STORE_BATCH = 16
STORE_INTERVAL = 0.25  # seconds: finished articles never wait longer than this to be saved
# A file read as fast as it can be stored (a labelled JSONL file, another tool's export) would
# otherwise pay two commits (a disk sync each: the articles, then the import log) per 16
# articles, more than storing them. So a batch grows to as many articles as were stored in
# STORE_SECONDS before, at most MAX_STORE_BATCH: an edit made in the window meanwhile waits
# at most about that long for the write lock (its writer retries in the background; the
# window never waits). Downloads and extraction rarely fill more than 16 in STORE_INTERVAL.
STORE_SECONDS = 0.2
MAX_STORE_BATCH = 512
MAX_SITEMAP_DEPTH = 2
# Why the predictions an article brought were not stored as its suggestions, by the article's outcome.
_UNSTORED_PREDICTION = {"duplicate": "a prediction of an article the dataset already holds",
                        "": "a prediction of an article that was not saved"}


@dataclass(frozen=True)
class ImportOptions:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    workers: int = 0  # extraction processes; 0 = one per core
    annotator: str = ""  # the annotator of imported spans that name none
    # An annotator whose layer the imported spans become (whatever annotator they name), also in the
    # articles the dataset already holds: ``import --annotator NAME``. "" = each span's own annotator.
    layer: str = ""
    source_format: str = ""  # read every file or folder as this tool's format (formats.FORMAT_NAMES); "" = sniff
    near_copy_threshold: float = DEFAULT_THRESHOLD  # the setting of that name


@dataclass(frozen=True)
class ItemOutcome:
    source: str
    outcome: str  # imported, duplicate, failed, cancelled
    reason: str = ""
    article_id: int | None = None
    uid: str | None = None
    title: str | None = None
    near_copy_of: int | None = None  # an imported article's closest near copy (its reason names it)
    spans_added: int = 0  # a duplicate's spans added to the stored article as ImportOptions.layer's


@dataclass
class ImportReport:
    batch: str
    outcomes: list[ItemOutcome] = field(default_factory=list)
    cancelled: bool = False
    skipped: list[str] = field(default_factory=list)  # records meant to be left out, with why
    new_labels: NewLabels = field(default_factory=NewLabels)  # labels the imported spans brought in
    entity_notes: list[str] = field(default_factory=list)  # what the entities files beside exports did
    tally: formats.Tally = field(default_factory=formats.Tally)  # spans converted, trimmed, refused ... by reason
    suggestions: int = 0  # suggestions (e.g. Label Studio predictions) stored for review

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def imported(self) -> int:
        return self.count("imported")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def spans_added(self) -> tuple[int, int]:
        """Spans added to articles the dataset already held (an annotator's layer), and to how many articles."""
        added = [o.spans_added for o in self.outcomes if o.spans_added]
        return sum(added), len(added)

    @property
    def near_copies(self) -> list[ItemOutcome]:
        """Imported articles that are near copies of stored ones."""
        return [o for o in self.outcomes if o.near_copy_of is not None]

    @property
    def failures(self) -> list[ItemOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    @property
    def created_labels(self) -> dict[str, int]:
        """Labels this import added to the dataset, with the number of spans that use each."""
        return dict(self.new_labels.spans)

    @property
    def changes(self) -> Changes:
        """The new articles (each id once) and the labels the import created."""
        ids = dict.fromkeys(o.article_id for o in self.outcomes if o.outcome == "imported" and o.article_id)
        return imported_changes(list(ids)) | self.label_changes

    @property
    def label_changes(self) -> Changes:
        """The labels the import created (empty when none): what a window announces at the end,
        having announced the new articles while they arrived."""
        if not self.new_labels.names:
            return Changes.of()
        return Changes.of(ChangeKind.LABELS_CHANGED, labels=self.new_labels.names.values())

    def conversion_notes(self) -> list[str]:
        """What happened to spans on their way in (another tool's files): a summary line, then one line per
        reason; empty when nothing was converted, trimmed, repaired, refused or skipped."""
        tally = self.tally
        if not tally.counts and not self.suggestions:
            return []
        line = "Spans: " + "   ".join(f"{kind} {tally.total(kind)}" for kind in formats.KINDS[:-1])
        if self.suggestions:
            line += f"   Suggestions stored: {self.suggestions}"
        return [line, *(f"  {item}" for item in tally.lines())]

    def label_notes(self) -> list[str]:
        """One sentence per label the import created, then what the entities files did, for its summary."""
        suggested = self.new_labels.suggestions
        return [*(f"Created label {name} for {_uses(n, suggested.get(name, 0))} (the dataset had no label of that "
                  "name)." for name, n in self.created_labels.items()), *self.entity_notes]


def _uses(spans: int, suggestions: int) -> str:
    """E.g. "14 spans", "1 suggestion", "3 spans and 2 suggestions"."""
    parts = [f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in ((spans, "span"), (suggestions, "suggestion")) if n]
    return " and ".join(parts) or "0 spans"


def imported_changes(article_ids: Sequence[int]) -> Changes:
    """The record of articles stored by an import (announced in batches while it runs)."""
    return Changes.of(ChangeKind.ARTICLES_ADDED, article_ids=article_ids) if article_ids else Changes()


ProgressFn = Callable[[int, int, str, ItemOutcome | None], None]


@dataclass(frozen=True)
class _Ready:
    """An article ready to store, from one source item."""

    source: str
    article: NewArticle
    note: str = ""
    suggestions: tuple[dict[str, object], ...] = ()  # stored as the article's suggestions once it is stored


@dataclass(frozen=True)
class _Failed:
    source: str
    reason: str


@dataclass(frozen=True)
class _Expanded:
    """A feed or sitemap: more URLs to import in its place."""

    source: str
    urls: list[str]
    sitemaps: list[str]
    depth: int


def is_url(source: str) -> bool:
    try:
        scheme = urlsplit(source.strip()).scheme
    except ValueError:  # e.g. an unclosed IPv6 bracket: still meant as a web address, and fails as one
        scheme = source.strip().partition(":")[0]
    return scheme.lower() in ("http", "https")


class _Run:
    """State of one ``import_sources`` call."""

    def __init__(self, store: Store, options: ImportOptions, progress: ProgressFn | None, cancel: CancelToken) -> None:
        self.store = store
        self.options = options
        self.progress = progress
        self.cancel = cancel
        self.report = ImportReport(batch=uuid.uuid4().hex[:12])
        self.total = 0
        self.buffer: list[_Ready] = []
        self.batch_size = STORE_BATCH  # articles per transaction, see STORE_SECONDS
        self.last_flush = time.monotonic()
        self.seen_urls: set[str] = set()
        self.log_writer = ImportLogWriter(store, self.report.batch)
        self.unfinished: dict[str, None] = {}  # sources handed to work without an outcome yet, in order
        self.entity_links: dict[Path | None, EntityLinks] = {}  # by entities file, each read once

    # -- outcomes ------------------------------------------------------------
    def finish(self, outcomes: list[ItemOutcome]) -> None:
        """Record outcomes in the report and the import log, and tell the caller."""
        if not outcomes:
            return
        self.log_writer.write(outcomes)
        for o in outcomes:
            self.unfinished.pop(o.source, None)
            self.report.outcomes.append(o)
            if self.progress:
                self.progress(len(self.report.outcomes), max(self.total, len(self.report.outcomes)), o.source, o)

    def fail(self, source: str, reason: str) -> None:
        self.finish([ItemOutcome(source, "failed", reason)])

    def finish_cancelled(self) -> None:
        """After a cancel: an outcome for each item that had none, to list and retry."""
        self.finish([ItemOutcome(source, "cancelled", CANCELLED_REASON) for source in self.unfinished])

    # -- storing ---------------------------------------------------------------
    def add(self, ready: _Ready) -> None:
        self.buffer.append(ready)
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_flush > STORE_INTERVAL:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        started = time.monotonic()
        try:
            results = store_articles_resilient(self.store, [r.article for r in batch], annotator=self.options.annotator,
                                               layer=self.options.layer, new_labels=self.report.new_labels,
                                               near_copy_threshold=self.options.near_copy_threshold)
        except SQLAlchemyError as exc:
            reason = f"Could not save to the dataset: {describe_db_error(exc)}; try again."
            self.finish([ItemOutcome(r.source, "failed", reason, title=r.article.title) for r in batch])
            return
        self.last_flush = time.monotonic()  # the interval counts from the last save, not from its start
        per_article = (self.last_flush - started) / len(batch)
        self.batch_size = max(STORE_BATCH, min(MAX_STORE_BATCH, int(STORE_SECONDS / max(per_article, 1e-6))))
        outcomes = []
        for ready, result in zip(batch, results, strict=True):
            title = ready.article.title or None
            if isinstance(result, StoreOutcome):
                reason = result.reason if result.outcome == "duplicate" else " ".join(
                    n for n in (result.reason, ready.note) if n)
                art_id = result.article_id if result.article_id > 0 else None
                outcomes.append(ItemOutcome(ready.source, result.outcome, reason, art_id, result.uid or None, title,
                                            result.near_copy_of, result.spans_added))
            else:
                reason = f"Could not save: {describe_db_error(result)}."
                outcomes.append(ItemOutcome(ready.source, "failed", reason, title=title))
        self.report.suggestions += store_imported_suggestions(self.store, [
            (o.article_id, r.suggestions) for r, o in zip(batch, outcomes, strict=True)
            if r.suggestions and o.outcome == "imported" and o.article_id], self.report.tally,
            self.report.new_labels)
        for ready, outcome in zip(batch, outcomes, strict=True):
            if ready.suggestions and outcome.outcome != "imported":
                self.report.tally.add("skipped", _UNSTORED_PREDICTION.get(outcome.outcome, _UNSTORED_PREDICTION[""]),
                                      len(ready.suggestions))
        self.finish(outcomes)
        collect_young()

    def existing_by_url(self, url: str) -> ItemOutcome | None:
        curl = canonical_url(url)
        if curl is None:
            return None
        try:
            with self.store.begin() as conn:
                row = conn.execute(
                    text("SELECT id, uid, title FROM article WHERE canonical_url = :c OR canonical_page_url = :c"),
                    {"c": curl},
                ).first()
        except SQLAlchemyError:
            return None  # e.g. locked for a moment: storing the article detects the duplicate anyway
        if row is None:
            return None
        return ItemOutcome(url, "duplicate", duplicate_reason(row[0], row[1], row[2]), row[0], row[1], row[2])


def import_sources(
    store: Store,
    sources: Sequence[str | os.PathLike[str]],
    options: ImportOptions | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import URLs, feed/sitemap URLs, files and folders. Never raises for bad input."""
    options = options or ImportOptions()
    cancel = cancel or CancelToken()
    run = _Run(store, options, progress, cancel)

    urls: list[str] = []
    html_files: list[Path] = []
    other_files: list[Path] = []
    tool_sources: list[tuple[Path, str]] = []  # files and folders another annotation tool wrote
    for raw in sources:
        source = str(raw).strip()
        if not source:
            continue
        if is_url(source):
            urls.append(source)
            continue
        if "://" in source:
            run.total += 1
            run.fail(source, "Only http and https addresses can be imported.")
            continue
        path = Path(source).expanduser()
        if not path.exists():
            run.total += 1
            run.fail(source, "No such file or folder, and not a web address (http:// or https://).")
            continue
        if _skip_companion(run, path):
            continue
        fmt = options.source_format or formats.sniff(path)
        if fmt:
            tool_sources.append((path, fmt))
            continue
        files = expand_folder(path) if path.is_dir() else [path]
        for f in files:
            if f is not path and _skip_companion(run, f):
                continue
            # In a folder of mixed files, each file may still be one another tool wrote.
            fmt = formats.sniff(f) if f is not path and file_kind(f) != "html" else None
            if fmt:
                tool_sources.append((f, fmt))
            else:
                (html_files if file_kind(f) == "html" else other_files).append(f)
    run.total += len(urls) + len(html_files) + len(other_files) + len(tool_sources)
    run.unfinished.update(dict.fromkeys([*urls, *map(str, html_files), *map(str, other_files),
                                         *(str(p) for p, _ in tool_sources)]))

    try:
        with no_cyclic_gc():  # files are read as fast as they are stored: see gc_pause; flush collects
            for path, fmt in tool_sources:
                if cancel.cancelled:
                    break
                _import_tool_source(run, path, fmt)
            for path in other_files:
                if cancel.cancelled:
                    break
                _import_plain_file(run, path)
            run.flush()
        if (urls or html_files) and not cancel.cancelled:
            _import_web_items(run, urls, html_files)
    except BaseException:
        cancel.cancel()
        raise
    finally:
        run.flush()  # what was finished is kept, whatever stopped the run
    if cancel.cancelled:
        run.finish_cancelled()
    run.report.entity_notes = [note for links in run.entity_links.values() for note in links.notes()]
    run.report.cancelled = cancel.cancelled
    return run.report


def _skip_companion(run: _Run, path: Path) -> bool:
    """Leave out (counted) a manifest, dataset card or tag list that an export wrote beside its data."""
    reason = export_companion(path)
    if reason:
        run.report.skipped.append(f"{path}: {reason}")
    return reason is not None


# -- files that need no extraction ----------------------------------------------

def _import_plain_file(run: _Run, path: Path) -> None:
    source = str(path)
    kind = file_kind(path)
    if kind is None:
        hint = (" (or, for a CoNLL file whose tags were not recognised, --from conll)"
                if path.suffix.lower() in CONLL_SUFFIXES else "")
        run.fail(source, f"Unsupported file type “{path.suffix or path.name}”: use .html, .txt, .md, .jsonl or .json"
                 f"{hint}.")
        return
    if kind == "text":
        try:
            tf = read_text_file(path)
            article = validate(NewArticle, {"text": tf.text, "title": tf.title, "source_kind": "file",
                                            "source": source})
        except FileSourceError as exc:
            run.fail(source, exc.reason)
            return
        except InvalidInput as exc:
            run.fail(source, f"Not imported: {exc}")
            return
        run.add(_Ready(source, article, tf.encoding_note))
        return
    _import_jsonl_file(run, path)


def _import_jsonl_file(run: _Run, path: Path) -> None:
    run.total -= 1  # the file is counted as its records instead
    if is_entities_file(path):
        run.unfinished.pop(str(path), None)
        run.report.skipped.append(f"{path}: the entities of the export beside it, read when that is imported.")
        return
    links = links_for(run.store, path, run.entity_links)
    for result in iter_jsonl_records(path):
        if run.cancel.cancelled:
            return
        run.total += 1
        if isinstance(result, NewArticle):
            result = links.apply(result)
            run.add(_Ready(result.url or result.source or str(path), result))
        elif result.skipped:  # e.g. a Prodigy answer "reject": not an error, not an article
            run.total -= 1
            run.report.skipped.append(f"{path}:{result.line}: {result.reason}")
        else:
            run.fail(f"{path}:{result.line}" if result.line else str(path), result.reason)
    run.unfinished.pop(str(path), None)  # read to the end: its records have their outcomes


def _import_tool_source(run: _Run, path: Path, fmt: str) -> None:
    """The documents of a file or folder in another annotation tool's format."""
    run.total -= 1  # counted as its documents instead
    for record in formats.read_source(path, fmt):
        if run.cancel.cancelled:
            return
        run.total += 1
        run.report.tally.merge(record.tally)
        if record.article is not None:
            run.add(_Ready(record.source, record.article, record.tally.sentence(), tuple(record.suggestions)))
        elif record.skipped:
            run.total -= 1
            run.report.skipped.append(f"{record.source}: {record.reason}")
        else:
            run.fail(record.source, record.reason)
    run.unfinished.pop(str(path), None)


# -- URLs and HTML files: download and extraction off the calling thread ---------

def _import_web_items(run: _Run, urls: list[str], html_files: list[Path]) -> None:
    opts = run.options
    workers = opts.workers or os.cpu_count() or 1
    threads = max(opts.fetch.concurrency, workers * 2)
    client = make_client(opts.fetch) if urls else None
    pool = ExtractorPool(workers, opts.extract)
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="import")
    pending: set[Future[_Ready | _Failed | _Expanded]] = set()

    def submit_url(url: str, depth: int = 0) -> None:
        key = canonical_url(url) or url
        if key in run.seen_urls:
            run.finish([ItemOutcome(url, "duplicate", "Listed twice in this import.")])
            return
        run.seen_urls.add(key)
        run.unfinished[url] = None
        existing = run.existing_by_url(url)
        if existing is not None:
            run.finish([existing])
            return
        pending.add(executor.submit(_prepare_url, url, depth, opts, client, pool, run.cancel))

    try:
        for url in urls:
            submit_url(url)
        for path in html_files:
            pending.add(executor.submit(_prepare_html_file, path, pool))
        while pending and not run.cancel.cancelled:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in done:  # finished work is kept even when a cancel just came in
                pending.discard(fut)
                try:
                    result = fut.result()
                except (CancelledError, Cancelled):
                    continue  # stopped by the user: no outcome, nothing stored
                if isinstance(result, _Ready):
                    run.add(result)
                elif isinstance(result, _Failed):
                    run.fail(result.source, result.reason)
                else:
                    _expand(run, result, submit_url)
            if time.monotonic() - run.last_flush > STORE_INTERVAL:
                run.flush()
    except BaseException:  # Ctrl+C, or anything unexpected: stop the rest promptly
        run.cancel.cancel()
        raise
    finally:
        if run.cancel.cancelled:
            for fut in pending:
                fut.cancel()
            # Kill running extractions first: the threads waiting on them then end at once.
            pool.close()
        executor.shutdown(wait=True, cancel_futures=True)
        pool.close()
        if client is not None:
            client.close()


def _expand(run: _Run, exp: _Expanded, submit_url: Callable[..., None]) -> None:
    found = len(exp.urls) + len(exp.sitemaps)
    run.unfinished.pop(exp.source, None)  # replaced by what it lists
    if found == 0:
        run.fail(exp.source, "The feed or sitemap lists no article addresses.")
        return
    run.total += found - 1  # the feed itself is replaced by what it lists
    for url in exp.urls:
        submit_url(url, exp.depth)
    for sitemap in exp.sitemaps:
        if exp.depth >= MAX_SITEMAP_DEPTH:
            run.fail(sitemap, f"Sitemap not followed: sitemaps nested deeper than {MAX_SITEMAP_DEPTH} levels.")
        else:
            submit_url(sitemap, exp.depth + 1)


def _prepare_url(url: str, depth: int, opts: ImportOptions, client: object, pool: ExtractorPool,
                 cancel: CancelToken) -> _Ready | _Failed | _Expanded:
    try:
        fetched = fetch(url, opts.fetch, cancel, client)  # type: ignore[arg-type]
    except FetchError as exc:
        return _Failed(url, exc.reason)
    if feeds.looks_like_feed_or_sitemap(fetched.body, fetched.content_type):
        exp = feeds.expand(fetched.body, fetched.final_url)
        if exp is not None:
            return _Expanded(url, exp.article_urls, exp.sitemap_urls, depth)
    return _extract(url, fetched.body, fetched.charset, pool, fetched)


def _prepare_html_file(path: Path, pool: ExtractorPool) -> _Ready | _Failed:
    source = str(path)
    try:
        data = read_bytes(path, pool.options.max_input_bytes)
    except FileSourceError as exc:
        return _Failed(source, exc.reason)
    return _extract(source, data, None, pool, None)


def _extract(source: str, body: bytes, charset: str | None, pool: ExtractorPool,
             fetched: FetchResult | None) -> _Ready | _Failed:
    try:
        html, note = decode(body, charset)
    except FileSourceError as exc:
        return _Failed(source, exc.reason)
    url = fetched.final_url if fetched else None
    try:
        doc = pool.submit(html, url).result()
    except ExtractionError as exc:
        return _Failed(source, exc.reason)
    except CancelledError:
        return _Failed(source, "Cancelled.")
    try:
        article = validate(
            NewArticle,
            {
                "text": doc.text, "title": doc.title or "", "url": url, "author": doc.author, "published": doc.date,
                "canonical_page_url": page_canonical_url(doc.canonical_url, url),
                "site_name": doc.site_name, "language": doc.language,
                "source_kind": "url" if fetched else "file", "source": source,
                "extractor": doc.extractor, "extractor_version": doc.extractor_version,
                "source_bytes": body, "content_type": fetched.content_type if fetched else "text/html",
            },
        )
    except InvalidInput as exc:
        return _Failed(source, f"Not imported: {exc}")
    return _Ready(source, article, note)
