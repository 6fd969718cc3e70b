"""Claims as records: every CLAIM span of the dataset as one record, not one line per article.

``claims``: flat JSON Lines, one claim per line, the shape claim detection and
claim verification pipelines (FEVER-style) start from::

    {"id", "text", "claimant", "claimant_id", "verdict", "note", "date", "article", "title",
     "url", "start", "end", "label", "annotator"}

``id`` is the claim's id in the dataset; ``claimant`` the name the claim gives
(its ``claimant`` attribute, or the linked entity's name when it has none) and
``claimant_id`` the entity it links to; ``date`` the claim's ``date`` attribute,
else the article's publication date; ``article`` the article's uid. A value
that is not set is ``null``.

``claimreview``: one schema.org ``ClaimReview`` per claim, the JSON-LD markup
fact-checkers publish and Google's Fact Check Tools and Data Commons read.
The file is ONE JSON array of those objects, one object per line between
``[`` and ``]``: a JSON array of objects is itself a JSON-LD document, so the
whole file goes as it is into a page's ``<script type="application/ld+json">``
(Google's ClaimReview guide and its Markup Tool take markup in that form) and
into any JSON-LD processor, which JSON Lines is not. Each object::

    {"@context": "https://schema.org", "@type": "ClaimReview", "identifier", "claimReviewed",
     "datePublished", "author": {"@type": "Person", "name": annotator},
     "itemReviewed": {"@type": "Claim", "author": {"@type": "Person" | "Organization", "name",
                      "sameAs"?}, "datePublished", "appearance": {"@type": "CreativeWork", "url", "headline"}},
     "reviewRating": {"@type": "Rating", "alternateName": verdict}}

The claim's date is the ``Claim``'s ``datePublished``; the review's own is the
day the claim was last edited (its verdict, claimant or note); its ``author`` the
annotator; its ``identifier`` the claim's id, as in ``claims``. The claimant is a ``Person`` when the linked
entity's kind is a person label, otherwise an ``Organization``; an unlinked
claimant, whose kind is unknown, is written as a ``Person`` with its name only.
``sameAs`` comes from the entity's external id: a Wikidata QID becomes
``https://www.wikidata.org/wiki/Q…``, a web address stays as it is, anything
else is left out. A claim without a verdict reviews nothing, so it is left out
(the summary says how many); an article without an address gives an
``appearance`` with its headline only. A ClaimReview has no room for a split
field: with a split, each split goes to a file of its own.

Filters: ``statuses`` choose articles, ``labels`` the claim labels, and
``annotators`` whose claims. Both formats read claims in batches of articles,
so memory stays flat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from app.core.cancel import CancelToken
from app.core.db.in_lists import in_list
from app.core.entities.claimant import PERSON_LABELS
from app.core.export.exporter import (
    BATCH,
    ExportError,
    ExportOptions,
    ExportSummary,
    ProgressFn,
    split_for,
)
from app.core.export.formats import SPLIT_NAMES
from app.core.export.grouping import Grouping, SplitTally
from app.core.export.output import Output

if TYPE_CHECKING:
    from app.core.db.reader import Dataset, Reader

_QID = re.compile(r"^[Qq][1-9][0-9]*$")
_DUMP_OPTS = orjson.OPT_APPEND_NEWLINE

# A claim row: the span, its label, its article and its linked claimant (kind = the entity's label).
# The last column says whether the span's text is the article's text at its offsets (substr counts
# characters from 1 on both databases, as Python's indices count code points from 0).
_COLUMNS = ('span.id, span.article_id, span.start, span."end", span.text, span.annotator, span.attributes, '
            "span.updated_at, span.claimant_id, label.name, article.uid, article.url, article.title, "
            "article.published, entity.name, entity.external_id, kind.name, "
            'substr(article.text, span.start + 1, span."end" - span.start) = span.text')


def _filters(options: ExportOptions) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    where = "label.kind = 'claim'"
    if options.statuses:
        where += f" AND article.status IN ({in_list(params, 'st', options.statuses)})"
    if options.labels:
        where += f" AND label.name IN ({in_list(params, 'lb', options.labels)})"
    if options.annotators:
        where += f" AND span.annotator IN ({in_list(params, 'an', options.annotators)})"
    return where, params


_FROM = "FROM span JOIN label ON label.id = span.label_id JOIN article ON article.id = span.article_id"


def _claims_sql(where: str) -> str:
    """The claims of the articles with ids in [:lo, :hi], in the export order."""
    return (f"SELECT {_COLUMNS} {_FROM} LEFT JOIN entity ON entity.id = span.claimant_id "
            f"LEFT JOIN label kind ON kind.id = entity.label_id "
            f"WHERE {where} AND span.article_id BETWEEN :lo AND :hi "
            'ORDER BY span.article_id, span.start, span."end", label.name, span.annotator')


def _text(value: Any) -> str | None:
    """A string attribute's value, or None for a missing, empty or non-string one."""
    return value if isinstance(value, str) and value.strip() else None


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if hasattr(value, "date") else str(value)[:10]


def same_as(external_id: str | None) -> str | None:
    """The address an entity's external id stands for: a Wikidata QID's page, or the address itself."""
    value = (external_id or "").strip()
    if _QID.match(value):
        return f"https://www.wikidata.org/wiki/Q{value[1:]}"
    if value.lower().startswith(("http://", "https://")):
        return value
    return None


class ClaimRow:
    """One claim row, read by name."""

    def __init__(self, row: Sequence[Any]) -> None:
        (self.id, self.article_id, self.start, self.end, self.text, self.annotator, attributes, self.updated_at,
         self.claimant_id, self.label, self.uid, self.url, self.title, self.published, self.entity_name,
         self.external_id, self.kind, consistent) = row
        if not consistent:
            raise ExportError(f"Article {self.uid}: claim {self.start}-{self.end} says {self.text!r} but the "
                              "article's text there differs. The dataset is inconsistent, so nothing was exported.")
        loaded = orjson.loads(attributes) if attributes else {}
        self.attributes: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self.claimant = _text(self.attributes.get("claimant")) or self.entity_name
        self.verdict = _text(self.attributes.get("verdict"))
        self.date = _text(self.attributes.get("date")) or self.published or None


def claim_record(claim: ClaimRow) -> dict[str, Any]:
    """The ``claims`` line of one claim."""
    return {"id": claim.id, "text": claim.text, "claimant": claim.claimant, "claimant_id": claim.claimant_id,
            "verdict": claim.verdict, "note": _text(claim.attributes.get("note")), "date": claim.date,
            "article": claim.uid, "title": claim.title or None, "url": claim.url, "start": claim.start,
            "end": claim.end, "label": claim.label, "annotator": claim.annotator}


def claim_review(claim: ClaimRow) -> dict[str, Any]:
    """The schema.org ClaimReview of one claim with a verdict."""
    item: dict[str, Any] = {"@type": "Claim"}
    if claim.claimant:
        kind = "Person" if claim.kind is None or claim.kind.upper() in PERSON_LABELS else "Organization"
        author = {"@type": kind, "name": claim.claimant}
        link = same_as(claim.external_id)
        if link:
            author["sameAs"] = link
        item["author"] = author
    if claim.date:
        item["datePublished"] = claim.date
    appearance = {"@type": "CreativeWork"}
    if claim.url:
        appearance["url"] = claim.url
    if claim.title:
        appearance["headline"] = claim.title
    if len(appearance) > 1:
        item["appearance"] = appearance
    review: dict[str, Any] = {"@context": "https://schema.org", "@type": "ClaimReview",
                              "identifier": str(claim.id), "claimReviewed": claim.text}
    reviewed = _day(claim.updated_at)
    if reviewed:
        review["datePublished"] = reviewed
    if claim.annotator:
        review["author"] = {"@type": "Person", "name": claim.annotator}
    review["itemReviewed"] = item
    review["reviewRating"] = {"@type": "Rating", "alternateName": claim.verdict}
    return review


class _ArrayWriter:
    """Writes each output as one JSON array, an element per line."""

    def __init__(self, outputs: dict[str, Output]) -> None:
        self.written: dict[str, int] = dict.fromkeys(outputs, 0)
        for output in outputs.values():
            output.write(b"[")

    def write(self, name: str, output: Output, obj: dict[str, Any]) -> None:
        output.write(b",\n" if self.written[name] else b"\n")
        output.write(orjson.dumps(obj))
        self.written[name] += 1

    def close(self, outputs: dict[str, Output]) -> None:
        for name, output in outputs.items():
            output.write(b"\n]\n" if self.written[name] else b"]\n")


def write_claims(
    store: Dataset,
    options: ExportOptions,
    outputs: dict[str, Output],
    split_field: bool,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
) -> ExportSummary:
    """Write the claims (``claims`` or ``claimreview``) to ``outputs``, as the exporter's ``_write`` does."""
    review = options.format == "claimreview"
    array = _ArrayWriter(outputs) if review else None
    ratios, seed = options.split, options.seed
    per_split: dict[str, int] = dict.fromkeys(SPLIT_NAMES, 0) if ratios else {}
    per_label: dict[str, int] = {}
    tally = SplitTally()
    articles: set[int] = set()
    without_verdict = done = 0
    where, params = _filters(options)
    claims_sql = _claims_sql(where)
    with store.snapshot() as reader:
        total = int(reader.scalar(f"SELECT count(*) {_FROM} WHERE {where}", params))
        grouping = Grouping(reader, options.group_by)
        if progress is not None:
            progress(0, total, "")
        for lo, hi in _article_ranges(reader, where, params):
            if cancel is not None:
                cancel.raise_if_cancelled()
            rows = reader.rows(claims_sql, {**params, "lo": lo, "hi": hi})
            # A claim goes to its article's split, which keeps near copies (or a site) together.
            keys = grouping.article_keys([row[1] for row in rows]) if ratios else {}
            for row in rows:
                claim = ClaimRow(row)
                if review and claim.verdict is None:
                    without_verdict += 1
                    continue
                obj = claim_review(claim) if review else claim_record(claim)
                key = keys.get(claim.article_id, claim.uid)
                name = "" if ratios is None else split_for(key, seed, ratios)
                if ratios is not None:
                    per_split[name] += 1
                    tally.add(name, key, {claim.label: 1})
                    if split_field:
                        obj["split"], name = name, ""
                output = outputs[name]
                if array is not None:
                    array.write(name, output, obj)
                else:
                    output.write(orjson.dumps(obj, option=_DUMP_OPTS))
                per_label[claim.label] = per_label.get(claim.label, 0) + 1
                articles.add(claim.article_id)
            done += len(rows)
            if progress is not None and rows:
                progress(done, total, rows[-1][12] or rows[-1][10])
    if array is not None:
        array.close(outputs)
    notes = []
    if without_verdict:
        which = "1 claim has" if without_verdict == 1 else f"{without_verdict} claims have"
        notes.append(f"{which} no verdict and {'was' if without_verdict == 1 else 'were'} left out: "
                     "a ClaimReview needs a rating.")
    return ExportSummary(articles=len(articles), spans_per_label=dict(sorted(per_label.items())),
                         per_split=per_split, notes=notes, group_by=options.group_by if ratios else "",
                         per_split_groups=tally.per_split_groups(SPLIT_NAMES) if ratios else {},
                         per_split_labels=tally.per_split_labels(SPLIT_NAMES) if ratios else {},
                         straddling_groups=len(tally.straddling()))


def _article_ranges(reader: Reader, where: str, params: dict[str, Any]) -> Iterator[tuple[int, int]]:
    """(first, last) article ids of successive batches of the articles that have claims passing the filters."""
    sql = (f"SELECT DISTINCT span.article_id {_FROM} WHERE {where} AND span.article_id > :last "
           f"ORDER BY span.article_id LIMIT {BATCH}")
    last = 0
    while True:
        ids = [int(r[0]) for r in reader.rows(sql, {**params, "last": last})]
        if not ids:
            return
        yield ids[0], ids[-1]
        last = ids[-1]
