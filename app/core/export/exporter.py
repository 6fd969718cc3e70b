"""Labelled JSONL export: one article per line, in our own format, spaCy/Prodigy's or doccano's.

The export streams: articles are read in keyset batches of ``BATCH`` rows
(``WHERE id > :last ORDER BY id LIMIT n``) and the spans of a whole batch come
from one query, so memory stays flat however large the dataset is. Lines are
written to a temporary file next to the target and moved into place with
``os.replace`` only once complete and synced, so an existing export is never
left half-overwritten by a crash, an error or a cancel.

Formats (keys in this order; spans sorted by start, end, label, annotator):

``native``
    ``{"id", "url", "title", "text", "meta": {"author", "date", "site_name",
    "language", "source_kind", "source", ...the article's own metadata}, "status", "spans": [{"start", "end",
    "label", "text", "annotator", "attributes", "entity_id"?, "claimant_id"?}]}``;
    a span linked to an entity ends with its ``entity_id``, a claim whose claimant
    is linked with its ``claimant_id`` (both left out when not linked). Lossless:
    re-importing it (with its entities file) gives back the same lines.
``spacy``
    Prodigy's task format, which spaCy users also load directly:
    ``{"text", "spans": [{"start", "end", "label", "text"}], "meta": {"id",
    "url", "title", "author", "date", "site_name", "language", "status",
    "source_kind", "source"}}``. A span carries ``"attributes"`` (claimant,
    verdict, note, ...) only when it has some; Prodigy keeps unknown span keys
    and spaCy's ``Doc.char_span`` never sees them. A linked span carries its
    entity id as ``"kb_id"``, a string, as spaCy's ``Doc.to_json`` names a span's
    knowledge-base id (``Doc.char_span(..., kb_id=...)``); a claim's linked
    claimant is ``"claimant_id"``.
``doccano``
    doccano's sequence-labelling JSONL: ``{"id", "text", "label": [[start, end,
    "LABEL"], ...], "title", "url", ...}``. doccano stores every key besides
    ``text`` and ``label`` as the example's metadata, so the article's fields
    are written flat, and only when they have a value.

Beside a native or spaCy export, ``NAME.entities.jsonl`` lists the entities its
spans link to (see ``entities_file``). ``claims`` and ``claimreview`` write one
record per claim instead of one per article (see ``claims``).

spaCy and doccano have no notion of several annotators labelling the same
text, so in those formats a span that several annotators made alike (same
start, end and label) is written once, with the attributes of the first
annotator in name order. Filter by annotator to export one person's work.

Filters: ``statuses`` choose articles; ``labels`` and ``annotators`` choose
spans, so an article none of whose spans pass is still written, with no spans
(combine with a status such as "done" to leave unfinished articles out).

When a train/dev/test split is asked for, each line ends with ``"split"`` (or
goes to ``OUT.train.jsonl`` etc. with ``split_files``). An article's split
depends only on its group's key and the seed, never on the filters or the
dataset size, so an article stays in the same split from one export to the
next; the group (``group_by``, app/core/export/grouping.py) is its near-copy
cluster by default, so that no story is in train and test at once.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from app.core.db import span_json
from app.core.db.in_lists import in_list
from app.core.db.reader import SqliteReader
from app.core.errors import InvalidInput
from app.core.export import entities_file
from app.core.export.formats import (
    ALIGN_MODES,
    CLAIM_FORMATS,
    DEFAULT_SEED,
    FORMATS,
    SCHEMES,
    SPLIT_NAMES,
    TOKEN_FORMATS,
)
from app.core.export.grouping import GROUP_BY, Grouping, SplitTally, split_for, split_paths
from app.core.export.labelstudio import JsonList, labelstudio_task
from app.core.export.output import Output, remove_stale_temp_files, sync_folder
from app.core.gc_pause import no_cyclic_gc
from app.models import ARTICLE_STATUSES

if TYPE_CHECKING:  # read through app/core/db/reader.py: the command line exports a dataset file without SQLAlchemy
    from app.core.cancel import CancelToken
    from app.core.db.reader import Dataset, Reader

BATCH = 1000
# spaCy's nlp.max_length default: longer texts raise E088 unless the user raises it before loading.
SPACY_MAX_LENGTH = 1_000_000

ProgressFn = Callable[[int, int, str], None]
ENTITIES = "entities"  # the key of the entities file among an export's outputs


class ExportError(Exception):
    """The dataset cannot be exported as it is; ``str()`` is a sentence for the user."""


@dataclass(frozen=True)
class ExportOptions:
    format: str = FORMATS[0]  # native
    statuses: tuple[str, ...] = ()  # empty: every status
    labels: tuple[str, ...] = ()  # only these labels' spans; empty: all
    annotators: tuple[str, ...] = ()  # only these annotators' spans; empty: the gold layer if any, else all
    all_layers: bool = False  # every annotator's spans even when the dataset has a gold layer
    # Only the articles a reviewer finished: set with the gold layer as the default, so that an article
    # nobody reviewed is left out rather than written without spans.
    reviewed_only: bool = False
    split: tuple[float, float, float] | None = None  # train/dev/test ratios summing to 1
    seed: int = DEFAULT_SEED
    split_files: bool = False  # one file per split instead of a "split" field
    align: str = ALIGN_MODES[0]  # token formats: a span off token boundaries is expanded, contracted or left out
    scheme: str = SCHEMES[0]  # conll and hf: BIO or BILUO tags
    group_by: str = "cluster"  # what a split keeps together: "cluster" (near copies), "site" or "none"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InvalidInput(f"Unknown export format {self.format!r}; use one of {', '.join(FORMATS)}.")
        if self.align not in ALIGN_MODES or self.scheme not in SCHEMES:
            raise InvalidInput(f"Unknown alignment {self.align!r} or tag scheme {self.scheme!r}; use one of "
                               f"{', '.join(ALIGN_MODES)} and one of {', '.join(SCHEMES)}.")
        if self.group_by not in GROUP_BY:
            raise InvalidInput(f"Unknown grouping {self.group_by!r}; use one of {', '.join(GROUP_BY)}.")
        if self.all_layers and self.annotators:
            raise InvalidInput("Export either every layer or the layers of chosen annotators, not both.")
        unknown = [s for s in self.statuses if s not in ARTICLE_STATUSES]
        if unknown:
            raise InvalidInput(f"Unknown status {unknown[0]!r}; use one of {', '.join(ARTICLE_STATUSES)}.")
        if self.split is not None:
            ratios = tuple(self.split)
            if len(ratios) != 3 or any(not isinstance(r, (int, float)) or r < 0 for r in ratios):
                raise InvalidInput("A split needs three ratios (train, dev, test), none of them negative.")
            if abs(sum(ratios) - 1.0) > 1e-6:
                raise InvalidInput(f"The split ratios must add up to 1 (they add up to {sum(ratios):g}).")
        elif self.split_files:
            raise InvalidInput("One file per split needs a split (train, dev and test ratios).")
        if self.format == "claimreview" and self.split is not None and not self.split_files:
            raise InvalidInput("A ClaimReview object has no split field; export one file per split instead.")


@dataclass
class ExportSummary:
    """Articles written, spans written per label (labels without any left out), the files
    written, and articles per split (empty without a split). The claim formats count
    the articles their claims come from, and claims as spans."""

    articles: int = 0
    spans_per_label: dict[str, int] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    per_split: dict[str, int] = field(default_factory=dict)
    too_long_for_spacy: list[str] = field(default_factory=list)  # ids (spaCy export only)
    entities: int = 0  # entities listed in the entities file (native and spaCy)
    entities_path: Path | None = None  # that file (not among ``paths``, which hold the records)
    notes: list[str] = field(default_factory=list)  # what the export left out, and why
    group_by: str = ""  # what the split kept together (app/core/export/grouping.py); "" without a split
    per_split_groups: dict[str, int] = field(default_factory=dict)
    per_split_labels: dict[str, dict[str, int]] = field(default_factory=dict)
    straddling_groups: int = 0  # near-copy clusters found in two splits: 0, which the export states

    @property
    def warnings(self) -> list[str]:
        """Sentences about what the export's reader will trip over, for the CLI and the export dialog."""
        n = len(self.too_long_for_spacy)
        if not n:
            return list(self.notes)
        shown = ", ".join(self.too_long_for_spacy[:10]) + (f" and {n - 10} more" if n > 10 else "")
        which = "1 article is" if n == 1 else f"{n} articles are"
        return [*self.notes, f"{which} longer than spaCy's default limit of {SPACY_MAX_LENGTH:,} characters "
                f"(nlp.max_length): ids {shown}; raise nlp.max_length before loading."]


# --- line encoders ------------------------------------------------------------------------------
# Each turns an article row and its span rows (sorted by start, end, label,
# annotator) into the object to serialise, checking every span against the text
# and counting spans per label on the way. Their inner loops run once per span
# (millions of times), so they avoid helper calls and attribute lookups.
# A span row is (article_id, start, end, label rank, annotator, text, attributes
# JSON or None when empty, entity id, claimant id); the rank indexes ``names``,
# the labels sorted by name.

_DUMP_OPTS = orjson.OPT_APPEND_NEWLINE

SpanRow = tuple[int, int, int, int, str, str, "str | None", "int | None", "int | None"]
Encoder = Callable[[Sequence[Any], Sequence[SpanRow], list[str], list[int]], dict[str, Any]]


def _mismatch(row: Sequence[Any], start: int, end: int, label: str, claimed: str) -> ExportError:
    found = row[11][start:end]
    return ExportError(
        f"Article {row[1]}: span {start}-{end} ({label}) says {claimed!r} but the text there is {found!r}. "
        "The dataset is inconsistent, so nothing was exported."
    )


def _native(row: Sequence[Any], spans: Sequence[SpanRow], names: list[str], counts: list[int]) -> dict[str, Any]:
    body = row[11]
    for _aid, s, e, rank, _who, t, _attr, _entity, _claimant in spans:
        # Holds by construction (span text is cut from the article text when stored);
        # checked anyway because a shifted offset silently poisons training data.
        if body[s:e] != t:
            raise _mismatch(row, s, e, names[rank], t)
        counts[rank] += 1
    return _native_line(row, span_json.native_spans(spans, names))


def _native_line(row: Sequence[Any], spans: Any) -> dict[str, Any]:
    # The article's own metadata (its last column) follows the fixed keys, which it never repeats.
    extra = orjson.loads(row[-1]) if row[-1] and row[-1] != "{}" else {}
    return {"id": row[1], "url": row[2], "title": row[3], "text": row[11],
            "meta": {"author": row[4], "date": row[5], "site_name": row[6], "language": row[7],
                     "source_kind": row[8], "source": row[9], **extra},
            "status": row[10], "spans": spans}


def _spacy(row: Sequence[Any], spans: Sequence[SpanRow], names: list[str], counts: list[int]) -> dict[str, Any]:
    body = row[11]
    out = []
    prev: tuple[int, int, int] | None = None
    for _aid, s, e, rank, _who, t, attr, entity, claimant in spans:
        if body[s:e] != t:
            raise _mismatch(row, s, e, names[rank], t)
        key = (s, e, rank)
        if key == prev:
            continue  # the same span by a later annotator (rows are sorted, so repeats are adjacent)
        prev = key
        counts[rank] += 1
        span: dict[str, Any] = {"start": s, "end": e, "label": names[rank], "text": t}
        if attr is not None:
            attributes = orjson.loads(attr)
            if attributes:
                span["attributes"] = attributes
        if entity is not None:
            span["kb_id"] = str(entity)
        if claimant is not None:
            span["claimant_id"] = claimant
        out.append(span)
    return {"text": body, "spans": out,
            "meta": {"id": row[1], "url": row[2], "title": row[3], "author": row[4], "date": row[5],
                     "site_name": row[6], "language": row[7], "status": row[10], "source_kind": row[8],
                     "source": row[9]}}


_DOCCANO_META = (("title", 3), ("url", 2), ("author", 4), ("date", 5), ("site_name", 6), ("language", 7),
                 ("status", 10), ("source_kind", 8), ("source", 9))


def _doccano(row: Sequence[Any], spans: Sequence[SpanRow], names: list[str], counts: list[int]) -> dict[str, Any]:
    body = row[11]
    out = []
    prev: tuple[int, int, int] | None = None
    for _aid, s, e, rank, _who, t, _attr, _entity, _claimant in spans:
        if body[s:e] != t:
            raise _mismatch(row, s, e, names[rank], t)
        key = (s, e, rank)
        if key == prev:
            continue
        prev = key
        counts[rank] += 1
        out.append([s, e, names[rank]])
    obj: dict[str, Any] = {"id": row[1], "text": body, "label": out}
    for key_name, i in _DOCCANO_META:
        if row[i] is not None:  # doccano shows metadata as a table; empty rows are noise
            obj[key_name] = row[i]
    return obj


_ENCODERS: dict[str, Encoder] = {"native": _native, "spacy": _spacy, "doccano": _doccano,
                                 "labelstudio": labelstudio_task}

_ARTICLE_COLUMNS = "id, uid, url, title, author, published, site_name, language, source_kind, source, status, text"


# --- the export -------------------------------------------------------------------------------------


def _uses_span_json(store: Dataset, options: ExportOptions) -> bool:
    """Whether the articles' ready-made span lists (``span_json``) can be copied as they are:
    they hold every span in the native layout, so not with span filters or other formats."""
    return (options.format == "native" and not options.labels and not options.annotators
            and store.is_sqlite)


def _articles_sql(options: ExportOptions, cached: bool = False) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    where = "article.id > :last"
    if options.statuses:
        # One status: its (status, id) index yields the batch in id order. Several: that
        # index would make the database collect and sort every remaining article per
        # batch, so walk the ids instead and filter (an expression keeps the index out).
        column = "article.status" if len(options.statuses) == 1 else "(article.status || '')"
        where += f" AND {column} IN ({in_list(params, 'st', options.statuses)})"
    where += _reviewed(options)
    columns = ", ".join(f"article.{c.strip()}" for c in _ARTICLE_COLUMNS.split(","))
    source = "article"
    if cached:
        # Columns 12-14: the cached span list (as bytes, which orjson copies into the
        # line without decoding and encoding them again), its spans per label, and
        # whether the article has spans but no cached list (then its span rows are read).
        columns += (", CAST(j.spans AS BLOB), j.label_counts, (j.spans IS NULL AND EXISTS "
                    "(SELECT 1 FROM span WHERE span.article_id = article.id))")
        source += (f" LEFT JOIN {span_json.TABLE} j ON j.article_id = article.id"
                   f" AND j.format = {int(span_json.FORMAT)}")
    columns += ", article.meta"  # last, whatever came before: read as row[-1]
    return f"SELECT {columns} FROM {source} WHERE {where} ORDER BY article.id LIMIT {BATCH}", params


def _spans_sql(options: ExportOptions, labels: list[tuple[int, str]]) -> tuple[str, dict[str, Any]]:
    """SQL for the spans of the articles with ids in [:lo, :hi] (one batch); ``labels``
    are (id, name) sorted by name.

    The statement text is the same for every batch, so the database prepares it
    once (a list of the batch's ids would make a new, large statement per batch,
    and SQLite's statement cache would keep a hundred of them alive).

    Rows come in the order of the unique span index (article, start, end, label
    id, annotator), which costs the database no sort; the label id is swapped for
    the label's rank by name, so that sorting the rows as plain tuples in Python
    gives the export order. That sort finds the rows almost in order already, and
    compares by code point whatever the database's collation.
    """
    params: dict[str, Any] = {}
    join = ""
    where = "span.article_id BETWEEN :lo AND :hi"
    if options.statuses:
        # The batch holds only articles with these statuses; others may lie between.
        join = " JOIN article ON article.id = span.article_id"
        where += f" AND article.status IN ({in_list(params, 'st', options.statuses)})"
    if options.labels:
        wanted = [int(i) for i, name in labels if name in options.labels]
        # Unary + keeps SQLite from scanning the whole label index instead of the batch's range.
        where += f" AND +span.label_id IN ({in_list(params, 'lb', wanted)})"
    if options.annotators:
        where += f" AND span.annotator IN ({in_list(params, 'an', options.annotators)})"
    ranks = " ".join(f"WHEN {int(i)} THEN {rank}" for rank, (i, _name) in enumerate(labels))
    rank = f"CASE span.label_id {ranks} END" if ranks else "0"
    sql = (
        f'SELECT span.article_id, span.start, span."end", {rank}, span.annotator, span.text, '
        f"NULLIF(span.attributes, '{{}}'), span.entity_id, span.claimant_id FROM span{join} WHERE {where}"
        ' ORDER BY span.article_id, span.start, span."end", span.label_id, span.annotator'
    )
    return sql, params


def _fetch(reader: Reader, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """All rows of a query as plain tuples."""
    raw = reader.sqlite_connection
    if raw is not None:
        # Straight from sqlite3 (which takes :name parameters itself): no Row objects
        # in between, which matters at a few hundred thousand span rows per second.
        # Same connection, so the same snapshot.
        return SqliteReader(raw).rows(sql, params)
    return reader.rows(sql, params)


def _article_batches(reader: Reader, options: ExportOptions, sql: str, params: dict[str, Any],
                     progress: ProgressFn | None, cancel: CancelToken | None) -> Iterator[list[tuple[Any, ...]]]:
    """The exported articles, ``BATCH`` rows at a time in id order (keyset paging), with progress and cancel."""
    total = _count(reader, options)
    if progress is not None:
        progress(0, total, "")
    last = done = 0
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        rows = _fetch(reader, sql, {**params, "last": last})
        if not rows:
            return
        last = rows[-1][0]
        yield rows
        done += len(rows)
        if progress is not None:
            progress(done, total, rows[-1][3] or rows[-1][1])
        del rows  # the caller deletes its name too: only one batch is ever alive


def _count(reader: Reader, options: ExportOptions) -> int:
    params: dict[str, Any] = {}
    sql = "SELECT count(*) FROM article WHERE true"
    if options.statuses:
        sql += f" AND status IN ({in_list(params, 'st', options.statuses)})"
    return int(reader.scalar(sql + _reviewed(options), params))


def _reviewed(options: ExportOptions) -> str:
    """The articles of the gold layer's export: those a reviewer finished (marked done in review mode).
    One only opened in review mode has the agreed spans at most, not yet the reviewer's decisions."""
    if not options.reviewed_only:
        return ""
    from app.core.team.identity import GOLD_LAYER

    return (f" AND article.id IN (SELECT article_id FROM article_status WHERE annotator = '{GOLD_LAYER}' "
            "AND status = 'done')")


def left_unreviewed(store: Dataset, options: ExportOptions) -> int:
    """How many articles of the export's statuses the gold layer's export leaves out, as no reviewer finished them."""
    if not options.reviewed_only:
        return 0
    with store.reader() as reader:
        every = _count(reader, replace(options, reviewed_only=False))
        return every - _count(reader, options)


def with_layer(store: Dataset, options: ExportOptions) -> ExportOptions:
    """The layer exported: the reviewed (gold) layer of the reviewed articles by default once a reviewer made
    one, otherwise every annotator's spans as before; ``annotators`` or ``all_layers`` choose otherwise."""
    from app.core.team.identity import GOLD_LAYER, has_gold

    if options.annotators or options.all_layers or not has_gold(store):
        return options
    return replace(options, annotators=(GOLD_LAYER,), reviewed_only=True)


def export_jsonl(
    store: Dataset,
    out_path: str | os.PathLike[str],
    options: ExportOptions = ExportOptions(),
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ExportSummary:
    """Write the dataset (as filtered by ``options``) to ``out_path`` as labelled JSONL.

    Raises ``Cancelled`` when ``cancel`` is set, ``OSError`` when the files cannot be
    written (missing folder, disk full, ...) and ``ExportError`` when the dataset is
    inconsistent; in every case no target file is created or changed and no
    temporary file is left behind. The token-level formats are written by
    ``token_formats.export_tokens``. Every successful export then gets its
    manifest and dataset card beside it (``manifest.write_manifest``).
    """
    from app.core.export.manifest import write_manifest

    out = Path(out_path)
    options = with_layer(store, options)
    if options.split is not None and options.group_by != "none":
        # Groups are made of near-copy clusters: a dataset upgraded from a version without
        # them gets them first.
        from app.core.quality.clustering import sign_and_cluster_missing

        # (Only a store is exported with a split: the command line's quick reads take none.)
        sign_and_cluster_missing(store, cancel=cancel)  # type: ignore[arg-type]
    if options.format in TOKEN_FORMATS:
        from app.core.export.token_formats import export_tokens

        token_summary = export_tokens(store, out, options, progress, cancel)
        write_manifest(out, options, token_summary, store)
        return token_summary
    targets = split_paths(out) if options.split_files else {"": out}
    write = _write
    if options.format in CLAIM_FORMATS:
        from app.core.export import claims  # it builds on this module

        write = claims.write_claims
    elif options.format in entities_file.FORMATS:
        targets[ENTITIES] = entities_file.entities_path(out)
    split_field = options.split is not None and not options.split_files
    outputs: dict[str, Output] = {}
    for target in targets.values():
        remove_stale_temp_files(target)
    try:
        for name, target in targets.items():
            outputs[name] = Output(target)
        summary = write(store, options, outputs, split_field, progress, cancel)
        for output in outputs.values():
            output.finish()
        for output in outputs.values():
            output.commit()
    except BaseException:
        for output in outputs.values():
            output.discard()
        raise
    sync_folder(out.parent)
    summary.paths = [o.target for name, o in outputs.items() if name != ENTITIES]
    if ENTITIES in outputs:
        summary.entities_path = outputs[ENTITIES].target
    write_manifest(out, options, summary, store)
    return summary


def _write(
    store: Dataset,
    options: ExportOptions,
    outputs: dict[str, Output],
    split_field: bool,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
) -> ExportSummary:
    encode = _ENCODERS[options.format]
    cached = _uses_span_json(store, options)
    ratios = options.split
    seed = options.seed
    single = outputs.get("")
    dumps, loads, fragment = orjson.dumps, orjson.loads, orjson.Fragment
    per_split: dict[str, int] = dict.fromkeys(SPLIT_NAMES, 0) if ratios else {}
    tally = SplitTally()
    cached_counts: dict[str, int] = {}
    too_long: list[str] | None = [] if options.format == "spacy" else None
    json_list = JsonList() if options.format == "labelstudio" else None  # one JSON list, not lines
    done = 0

    with store.snapshot() as reader, no_cyclic_gc():
        labels = sorted(((int(i), n) for i, n in reader.rows("SELECT id, name FROM label")),
                        key=lambda label: label[1])
        names = [name for _id, name in labels]
        counts = [0] * len(names)
        articles_sql, art_params = _articles_sql(options, cached)
        spans_sql, span_params = _spans_sql(options, labels)
        grouping = Grouping(reader, options.group_by)
        for rows in _article_batches(reader, options, articles_sql, art_params, progress, cancel):
            last = rows[-1][0]
            spans: list[tuple[Any, ...]] = []
            if not cached or any(row[14] for row in rows):
                spans = _fetch(reader, spans_sql, {**span_params, "lo": rows[0][0], "hi": last})
                spans.sort()  # into (article, start, end, label name, annotator) order; see _spans_sql
            owners = [s[0] for s in spans]  # article id of each span row, ascending
            keys = grouping.keys(rows) if ratios else []
            clusters = grouping.clusters(rows) if ratios else []
            i = 0
            for n_row, row in enumerate(rows):
                # The spans of this article are the run of rows with its id, found by bisection.
                j = bisect_right(owners, row[0], i)
                labels_here: dict[str, int] = {}
                if cached and row[12] is not None:
                    obj = _native_line(row, fragment(row[12]))  # checked when it was cached
                    labels_here = loads(row[13])
                    for name, n in labels_here.items():
                        cached_counts[name] = cached_counts.get(name, 0) + n
                elif cached and not row[14]:
                    obj = _native_line(row, [])
                else:
                    before = counts[:] if ratios else counts
                    obj = encode(row, spans[i:j], names, counts)
                    if ratios:
                        labels_here = {names[k]: counts[k] - before[k] for k in range(len(names))
                                       if counts[k] != before[k]}
                i = j
                if too_long is not None and len(row[11]) > SPACY_MAX_LENGTH:
                    too_long.append(row[1])
                if ratios is None:
                    output = single
                else:
                    split = split_for(keys[n_row], seed, ratios)
                    per_split[split] += 1
                    tally.add(split, keys[n_row], labels_here, clusters[n_row])
                    if split_field:
                        obj["split"] = split
                        output = single
                    else:
                        output = outputs[split]
                if json_list is not None:
                    json_list.item(output, dumps(obj))
                else:
                    output.write(dumps(obj, option=_DUMP_OPTS))  # type: ignore[union-attr]
            done += len(rows)
            del rows, spans, owners  # only one batch is ever alive
        entities_output = outputs.get(ENTITIES)
        linked = 0 if entities_output is None else entities_file.write_entities(reader, options, entities_output.write)
    if json_list is not None:
        json_list.close(list(outputs.values()))
    for name, n in zip(names, counts, strict=True):
        cached_counts[name] = cached_counts.get(name, 0) + n
    return ExportSummary(
        articles=done,
        spans_per_label={name: cached_counts[name] for name in sorted(cached_counts) if cached_counts[name]},
        per_split=per_split,
        too_long_for_spacy=too_long or [],
        entities=linked,
        group_by=options.group_by if ratios else "",
        per_split_groups=tally.per_split_groups(SPLIT_NAMES) if ratios else {},
        per_split_labels=tally.per_split_labels(SPLIT_NAMES) if ratios else {},
        straddling_groups=len(tally.straddling()),
    )
