"""Token-level exports: CoNLL columns, Hugging Face token-classification JSONL, spaCy's DocBin.

Every format goes through one pipeline per article: the text is cut into tokens
(``app.core.export.tokenizer`` for ``conll`` and ``hf``, spaCy's own tokenizer for
``spacy-docbin``), each span is placed on the tokens, then the format writes.

``conll``
    CoNLL-2003-style columns ``TOKEN -X- _ TAG``, one token a line, a blank line
    between sentences and ``-DOCSTART- -X- O O`` (then a blank line) before each
    article. Tags in the BIO or BILUO scheme (``options.scheme``).
``hf``
    One JSON line per sentence, ``{"id", "article", "tokens", "ner_tags"}``, what
    Hugging Face's token-classification scripts read; ``ner_tags`` index the tag
    list written beside it as ``NAME.labels.json`` (also in the dataset card).
``spacy-docbin``
    A ``.spacy`` file (``spacy.tokens.DocBin``) for ``spacy train``: entity spans
    as ``doc.ents``, claim spans as ``doc.spans["claims"]``. Needs spaCy
    (``pip install "article-curator[spacy]"``); see ``app.core.export.spacy_docbin``.

Only entity spans go into ``conll`` and ``hf``: claim spans overlap the entities
and are counted as not exported. A span whose ends are not token boundaries is
never dropped silently: ``options.align`` says what happens to it (``expand`` to
the tokens it touches, ``contract`` to the tokens wholly inside it, ``strict``:
leave it out), and each such span is reported. Entity spans that overlap after
that (a tag sequence holds one entity per token) keep the longer; the others
are reported too. So every span read is written, reported as left out, or
counted as a claim not in a token format.

With a split, each split goes to a file of its own (``OUT.train.conll`` ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from app.core.cancel import CancelToken
from app.core.export.exporter import (
    ExportOptions,
    ExportSummary,
    ProgressFn,
    _article_batches,
    _articles_sql,
    _fetch,
    _mismatch,
    _spans_sql,
    split_for,
    split_paths,
)
from app.core.export.formats import ALIGN_MODES, SCHEMES, SPLIT_NAMES, TOKEN_FORMATS
from app.core.export.grouping import Grouping, SplitTally
from app.core.export.output import Output, remove_stale_temp_files, sync_folder
from app.core.export.tokenizer import NAME as TOKENIZER_NAME
from app.core.export.tokenizer import Token, sentences, tokenize

if TYPE_CHECKING:
    from app.core.db.reader import Dataset

__all__ = ["ALIGN_MODES", "SCHEMES", "TOKEN_FORMATS", "export_tokens"]
FORMAT_VERSIONS = {"conll": "1", "hf": "1", "spacy-docbin": "1"}
REPORT_SHOWN = 20
DOCSTART = "-DOCSTART- -X- O O"  # reported spans shown in the warnings; the manifest lists them all


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    text: str
    attributes: str | None = None  # JSON, claims only
    entity_id: int | None = None  # the entity the span links to (spacy-docbin writes it as kb_id)


@dataclass(frozen=True)
class Placed:
    """A span on tokens [first, last): its label and where it lies now (after alignment)."""

    first: int
    last: int
    label: str
    start: int
    end: int
    span: Span


@dataclass
class TokenExportSummary(ExportSummary):
    """An export's summary, plus what the token formats had to say about the spans."""

    format: str = ""
    tokenizer: str = ""
    tag_names: list[str] = field(default_factory=list)  # hf: what ner_tags index
    per_split_labels: dict[str, dict[str, int]] = field(default_factory=dict)
    spans_read: int = 0  # entity and claim spans (one for several annotators' alike spans)
    adjusted: list[str] = field(default_factory=list)  # one sentence per span moved onto tokens
    left_out: list[str] = field(default_factory=list)  # one sentence per span not written
    claims_not_exported: int = 0  # claim spans, which conll and hf cannot hold
    extra_files: list[Path] = field(default_factory=list)  # written beside the data (hf's tag list)

    @property
    def spans_written(self) -> int:
        return sum(self.spans_per_label.values())

    @property
    def warnings(self) -> list[str]:
        return self._warnings(REPORT_SHOWN)

    @property
    def all_warnings(self) -> list[str]:
        """The warnings with every moved or left-out span, for the command line."""
        return self._warnings(None)

    def _warnings(self, shown: int | None) -> list[str]:
        lines = list(super().warnings)
        for what, items in (("moved onto token boundaries", self.adjusted), ("left out", self.left_out)):
            if items:
                more = f" (the first {shown}; all in the manifest)" if shown and len(items) > shown else ""
                lines.append(f"{_spans(len(items))} {what}{more}:")
                lines += [f"  {item}" for item in items[:shown]]
        if self.claims_not_exported:
            lines.append(f"{self.claims_not_exported} CLAIM spans not in a token format ({self.format} holds "
                         "entity spans only, which claims overlap): export spacy-docbin or JSONL for the claims.")
        return lines


def _spans(n: int) -> str:
    return "1 span" if n == 1 else f"{n} spans"


class TokenWriter(Protocol):
    """One format's output: given its files, takes each article's placed spans, then completes the files."""

    tokenizer: str
    holds_claims: bool
    tag_names: list[str]  # what hf's ner_tags index; empty for the other formats
    extra_targets: dict[str, Path]  # files written beside the data, by name

    def tokens(self, uid: str, language: str | None, body: str) -> list[Token]: ...

    def start(self, outputs: dict[str, Output]) -> None: ...

    def add(self, split: str, uid: str, body: str, tokens: list[Token], entities: list[Placed],
            claims: list[Placed]) -> None: ...

    def finish(self) -> None: ...


def export_tokens(
    store: Dataset,
    out_path: str | os.PathLike[str],
    options: ExportOptions,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> TokenExportSummary:
    """Write the dataset in a token-level format; the files are replaced only when all is written."""
    out = Path(out_path)
    targets = split_paths(out) if options.split else {"": out}
    with store.snapshot() as reader:
        labels = reader.rows("SELECT name, kind FROM label")
    kinds = {name: kind for name, kind in labels}
    writer = _writer(options, out, sorted(n for n, k in kinds.items() if k == "entity"
                                          and (not options.labels or n in options.labels)))
    extra = writer.extra_targets
    outputs: dict[str, Output] = {}
    for target in [*targets.values(), *extra.values()]:
        remove_stale_temp_files(target)
    try:
        for name, target in [*targets.items(), *extra.items()]:
            outputs[name] = Output(target)
        writer.start(outputs)
        summary = _export(store, options, writer, kinds, progress, cancel)
        writer.finish()
        for output in outputs.values():
            output.finish()
        for output in outputs.values():
            output.commit()
    except BaseException:
        for output in outputs.values():
            output.discard()
        raise
    sync_folder(out.parent)
    summary.paths = [outputs[name].target for name in targets]
    summary.extra_files = [outputs[name].target for name in extra]
    summary.tag_names = list(writer.tag_names) if options.format == "hf" else []
    return summary


def _writer(options: ExportOptions, out: Path, entity_labels: list[str]) -> TokenWriter:
    scheme = options.scheme
    if options.format == "conll":
        return ConllWriter(scheme, entity_labels)
    if options.format == "hf":
        return HfWriter(scheme, entity_labels, out)
    from app.core.export.spacy_docbin import DocBinWriter

    return DocBinWriter()


def _export(store: Dataset, options: ExportOptions, writer: TokenWriter, kinds: dict[str, str],
            progress: ProgressFn | None, cancel: CancelToken | None) -> TokenExportSummary:
    align = options.align
    summary = TokenExportSummary(format=options.format, tokenizer=writer.tokenizer,
                                 per_split=dict.fromkeys(SPLIT_NAMES, 0) if options.split else {})
    counts: dict[str, int] = {}
    tally = SplitTally()
    for split, key, row, spans in _articles(store, options, progress, cancel):
        uid, body = row[1], row[11]
        tokens = writer.tokens(uid, row[7], body)
        entities: list[Span] = []
        claims: list[Span] = []
        for sp in spans:
            (claims if kinds.get(sp.label) == "claim" else entities).append(sp)
        summary.spans_read += len(spans)
        placed = [p for p in (_place(uid, body, tokens, sp, align, summary) for sp in entities) if p]
        kept = _without_overlaps(uid, placed, summary)
        placed_claims: list[Placed] = []
        if writer.holds_claims:
            placed_claims = [p for p in (_place(uid, body, tokens, sp, align, summary) for sp in claims) if p]
        else:
            summary.claims_not_exported += len(claims)
        writer.add(split, uid, body, tokens, kept, placed_claims)
        summary.articles += 1
        by_label: dict[str, int] = {}
        for p in (*kept, *placed_claims):
            counts[p.label] = counts.get(p.label, 0) + 1
            by_label[p.label] = by_label.get(p.label, 0) + 1
        if split:
            summary.per_split[split] += 1
            tally.add(split, key, by_label)
    summary.spans_per_label = {name: counts[name] for name in sorted(counts)}
    if options.split:
        summary.group_by = options.group_by
        summary.per_split_groups = tally.per_split_groups(SPLIT_NAMES)
        summary.per_split_labels = tally.per_split_labels(SPLIT_NAMES)
        summary.straddling_groups = len(tally.straddling())
    return summary


def _articles(store: Dataset, options: ExportOptions, progress: ProgressFn | None,
              cancel: CancelToken | None) -> Iterator[tuple[str, str, tuple[Any, ...], list[Span]]]:
    """(split or "", group key or "", article row, its spans, alike spans of several annotators once),
    in id order.

    The same batched reads as the JSONL export (``exporter._articles_sql``/``_spans_sql``)."""
    # Unlike the JSONL export, the cyclic collector stays on: spaCy's objects may form cycles.
    with store.snapshot() as reader:
        labels = sorted(((int(i), n) for i, n in reader.rows("SELECT id, name FROM label")),
                        key=lambda label: label[1])
        names = [name for _id, name in labels]
        articles_sql, art_params = _articles_sql(options)
        grouping = Grouping(reader, options.group_by)
        spans_sql, span_params = _spans_sql(options, labels)
        for rows in _article_batches(reader, options, articles_sql, art_params, progress, cancel):
            last = rows[-1][0]
            by_article: dict[int, list[Span]] = {}
            seen: set[tuple[int, int, int, int]] = set()
            span_rows = _fetch(reader, spans_sql, {**span_params, "lo": rows[0][0], "hi": last})
            span_rows.sort()
            bodies = {row[0]: row for row in rows}
            for aid, s, e, rank, _who, t, attributes, entity_id, _claimant in span_rows:
                row = bodies.get(aid)
                if row is None or (aid, s, e, rank) in seen:
                    continue
                seen.add((aid, s, e, rank))
                if row[11][s:e] != t:
                    raise _mismatch(row, s, e, names[rank], t)
                by_article.setdefault(aid, []).append(Span(s, e, names[rank], t, attributes, entity_id))
            keys = grouping.keys(rows) if options.split else []
            for n_row, row in enumerate(rows):
                key = keys[n_row] if options.split else ""
                split = split_for(key, options.seed, options.split) if options.split else ""
                yield split, key, row, by_article.get(row[0], [])


# --- placing spans on tokens -------------------------------------------------------------------------


def align(tokens: list[Token], start: int, end: int, mode: str) -> tuple[int, int] | None:
    """The tokens [first, last) a span [start, end) goes on under ``mode``, or None when it goes on none."""
    first = _first_ending_after(tokens, start)
    last = first
    while last < len(tokens) and tokens[last][0] < end:
        last += 1
    if first == last:
        return None  # only whitespace under the span
    exact = tokens[first][0] == start and tokens[last - 1][1] == end
    if exact or mode == "expand":
        return first, last
    if mode == "strict":
        return None
    if tokens[first][0] < start:
        first += 1
    if tokens[last - 1][1] > end:
        last -= 1
    return (first, last) if first < last else None


def _first_ending_after(tokens: list[Token], offset: int) -> int:
    lo, hi = 0, len(tokens)
    while lo < hi:  # bisect on the tokens' ends
        mid = (lo + hi) // 2
        if tokens[mid][1] <= offset:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _place(uid: str, body: str, tokens: list[Token], span: Span, mode: str,
           summary: TokenExportSummary) -> Placed | None:
    where = align(tokens, span.start, span.end, mode)
    said = f"{uid}: {span.label} {span.start}-{span.end} “{span.text}”"
    if where is None:
        reason = ("it covers no token" if align(tokens, span.start, span.end, "expand") is None else
                  {"strict": "its ends are not token boundaries (--align strict)",
                   "contract": "no whole token lies inside it (--align contract)"}[mode])
        summary.left_out.append(f"{said}: left out, {reason}")
        return None
    first, last = where
    start, end = tokens[first][0], tokens[last - 1][1]
    if (start, end) != (span.start, span.end):
        verb = "expanded" if mode == "expand" else "contracted"
        summary.adjusted.append(f"{said} {verb} to {start}-{end} “{body[start:end]}”")
    return Placed(first, last, span.label, start, end, span)


def _without_overlaps(uid: str, placed: list[Placed], summary: TokenExportSummary) -> list[Placed]:
    """The spans, less each that overlaps a longer one (one entity per token); ties keep the earlier."""
    kept: list[Placed] = []
    for p in sorted(placed, key=lambda p: (-(p.end - p.start), p.start, p.label)):
        clash = next((k for k in kept if k.first < p.last and p.first < k.last), None)
        if clash is None:
            kept.append(p)
            continue
        summary.left_out.append(
            f"{uid}: {p.label} {p.span.start}-{p.span.end} “{p.span.text}”: left out, it overlaps the longer "
            f"{clash.label} {clash.start}-{clash.end} “{clash.span.text}” (one entity per token)")
    return sorted(kept, key=lambda p: p.first)


def tags(n_tokens: int, spans: list[Placed], scheme: str) -> list[str]:
    """The BIO or BILUO tag of each token, for spans that do not overlap."""
    out = ["O"] * n_tokens
    for p in spans:
        if scheme == "biluo" and p.last - p.first == 1:
            out[p.first] = f"U-{p.label}"
            continue
        out[p.first] = f"B-{p.label}"
        for i in range(p.first + 1, p.last):
            out[i] = f"I-{p.label}"
        if scheme == "biluo":
            out[p.last - 1] = f"L-{p.label}"
    return out


def tag_names(labels: list[str], scheme: str) -> list[str]:
    """Every tag of the scheme for these labels, "O" first: the ids of ``ner_tags``."""
    prefixes = "BI" if scheme == "bio" else "BILU"
    return ["O"] + [f"{p}-{label}" for label in labels for p in prefixes]


def sentences_keeping(body: str, tokens: list[Token], spans: list[Placed]) -> list[tuple[int, int]]:
    """The sentences, joined where a boundary would cut a span in two."""
    out: list[tuple[int, int]] = []
    inside: set[int] = set()
    for p in spans:
        inside.update(range(p.first + 1, p.last))  # no sentence may start at these tokens
    for first, last in sentences(body, tokens):
        if out and first in inside:
            out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


# --- the text formats ----------------------------------------------------------------------------------


class ConllWriter:
    tokenizer = TOKENIZER_NAME
    holds_claims = False

    def __init__(self, scheme: str, labels: list[str]) -> None:
        self.scheme = scheme
        self.tag_names = tag_names(labels, scheme)
        self.extra_targets: dict[str, Path] = {}
        self.outputs: dict[str, Output] = {}

    def tokens(self, uid: str, language: str | None, body: str) -> list[Token]:
        return tokenize(body)

    def start(self, outputs: dict[str, Output]) -> None:
        self.outputs = outputs

    def add(self, split: str, uid: str, body: str, tokens: list[Token], entities: list[Placed],
            claims: list[Placed]) -> None:
        tagged = tags(len(tokens), entities, self.scheme)
        # The delimiter spaCy's CoNLL converter looks for; readers that check the first column take it too.
        lines = [DOCSTART, ""]
        for first, last in sentences_keeping(body, tokens, entities):
            lines += [f"{body[s:e]} -X- _ {tag}"
                      for (s, e), tag in zip(tokens[first:last], tagged[first:last], strict=True)]
            lines.append("")
        self.outputs[split].write("\n".join(lines).encode() + b"\n")

    def finish(self) -> None:
        pass


class HfWriter(ConllWriter):
    """One JSON line per sentence; the tag list goes to ``NAME.labels.json`` beside the data."""

    def __init__(self, scheme: str, labels: list[str], out: Path) -> None:
        super().__init__(scheme, labels)
        self.tag_ids = {name: i for i, name in enumerate(self.tag_names)}
        self.extra_targets = {"labels": labels_path(out)}

    def add(self, split: str, uid: str, body: str, tokens: list[Token], entities: list[Placed],
            claims: list[Placed]) -> None:
        tagged = tags(len(tokens), entities, self.scheme)
        ids, write, dumps = self.tag_ids, self.outputs[split].write, orjson.dumps
        for n, (first, last) in enumerate(sentences_keeping(body, tokens, entities)):
            write(dumps({"id": f"{uid}-{n}", "article": uid, "tokens": [body[s:e] for s, e in tokens[first:last]],
                         "ner_tags": [ids[t] for t in tagged[first:last]]}, option=orjson.OPT_APPEND_NEWLINE))

    def finish(self) -> None:
        self.outputs["labels"].write(orjson.dumps(self.tag_names, option=orjson.OPT_APPEND_NEWLINE))


def labels_path(out: Path) -> Path:
    """``OUT.labels.json`` for ``OUT.jsonl``: the list ``ner_tags`` index."""
    stem = out.stem if out.suffix else out.name
    return out.with_name(f"{stem}.labels.json")
