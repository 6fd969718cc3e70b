"""Labels carry over: a near copy's spans projected onto this article, as suggestions to accept.

The two texts are aligned word by word (difflib's SequenceMatcher over tokens,
no junk heuristic: "the" must be able to sit inside an aligned stretch); a span
is placed where every token it covers lies in the aligned stretches,
consecutively, and the text at the new place is exactly the span's text. Such
spans go to the article's stored suggestion layer (source "near-copy:<uid>"),
which the annotation panel offers beside the suggester's; the rest is reported
with the reason it could not be placed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlalchemy import text

from app.core.changes import Changes
from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.core.ops.library import SpanRecord, get_article
from app.core.quality.near_copies import TABLE, estimated_jaccard
from app.core.suggest import service
from app.core.suggest.dictionary import Suggestion

SOURCE_PREFIX = "near-copy:"
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Unplaced:
    text: str
    label: str
    reason: str


@dataclass
class TransferReport:
    source_title: str
    placed: list[Suggestion] = field(default_factory=list)
    already: int = 0  # spans the article has already, same place and label
    unplaced: list[Unplaced] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def summary(self) -> str:
        parts = [f"{len(self.placed)} span{'' if len(self.placed) == 1 else 's'} of ‘{self.source_title}’ "
                 "offered as suggestions"]
        if self.already:
            parts.append(f"{self.already} already here")
        if self.unplaced:
            parts.append(f"{len(self.unplaced)} could not be placed")
        return "; ".join(parts) + "."


def _tokens(body: str) -> tuple[list[str], list[int], list[int]]:
    found = list(_TOKEN.finditer(body))
    return [m.group() for m in found], [m.start() for m in found], [m.end() for m in found]


def project(source: str, target: str, spans: list[SpanRecord]) -> tuple[list[tuple[SpanRecord, int, int]],
                                                                          list[tuple[SpanRecord, str]]]:
    """Where each span of ``source`` lies in ``target``: (span, start, end) placed, (span, why) not."""
    src, src_start, src_end = _tokens(source)
    tgt, tgt_start, tgt_end = _tokens(target)
    mapped: dict[int, int] = {}
    for a, b, size in SequenceMatcher(None, src, tgt, autojunk=False).get_matching_blocks():
        for k in range(size):
            mapped[a + k] = b + k
    placed, unplaced = [], []
    for span in spans:
        first = next((i for i, e in enumerate(src_end) if e > span.start), None)
        covered = [i for i in range(first or 0, len(src)) if src_start[i] < span.end] if first is not None else []
        if not covered:
            unplaced.append((span, "it covers no words"))
            continue
        if not all(i in mapped for i in covered):
            unplaced.append((span, "its words were changed or left out in this copy"))
            continue
        if any(mapped[j] != mapped[i] + 1 for i, j in zip(covered, covered[1:], strict=False)):
            unplaced.append((span, "other words were put in between in this copy"))
            continue
        # The span may start or end inside a token (a "U.S." span of "U.S.-led"): keep those offsets.
        start = tgt_start[mapped[covered[0]]] + (span.start - src_start[covered[0]])
        end = tgt_end[mapped[covered[-1]]] - (src_end[covered[-1]] - span.end)
        if target[start:end] != source[span.start : span.end]:
            unplaced.append((span, "the spacing inside it differs in this copy"))
            continue
        placed.append((span, start, end))
    return placed, unplaced


def copy_spans_from(store: Store, target_id: int, source_id: int) -> TransferReport:
    """Offer the spans of article ``source_id`` on article ``target_id`` as suggestions,
    beside the suggestions stored for it already."""
    source, target = get_article(store, source_id), get_article(store, target_id)
    if source is None or target is None:
        raise InvalidInput("The article or its near copy is no longer in the dataset.")
    report = TransferReport(source.title or f"article {source.uid}")
    with store.begin() as conn:
        entity_labels = {r[0] for r in conn.execute(text("SELECT name FROM label WHERE kind = 'entity'"))}
    here = {(s.start, s.end, s.label) for s in target.spans}
    offered = [s for s in source.spans if s.label in entity_labels]
    report.unplaced += [Unplaced(s.text, s.label, f"{s.label} spans are not offered as suggestions; copy it by hand")
                        for s in source.spans if s.label not in entity_labels]
    placed, unplaced = project(source.text, target.text, offered)
    report.unplaced += [Unplaced(s.text, s.label, why) for s, why in unplaced]
    origin = SOURCE_PREFIX + source.uid
    for span, start, end in placed:
        if (start, end, span.label) in here:
            report.already += 1
        else:
            report.placed.append(Suggestion(start=start, end=end, label=span.label, score=1.0))
    if report.placed:
        layer = [{**s, "source": origin} for s in report.placed]
        new = {(p["start"], p["end"], p["label"]) for p in layer}
        kept = [s for s in _stored_layer(store, target_id) if (s["start"], s["end"], s["label"]) not in new]
        report.changes = service.store_suggestions(store, {target_id: [*kept, *layer]})  # type: ignore[list-item]
    return report


def _stored_layer(store: Store, article_id: int) -> list[dict[str, object]]:
    """The article's stored suggestions with their sources, which storing the layer again keeps."""
    with store.begin() as conn:
        rows = conn.execute(text(
            'SELECT s.start, s."end", label.name, s.score, s.source FROM suggestion s '
            "JOIN label ON label.id = s.label_id WHERE s.article_id = :a"), {"a": article_id}).all()
    return [{"start": a, "end": b, "label": lb, "score": float(sc), "source": src} for a, b, lb, sc, src in rows]


def closest_near_copy(store: Store, article_id: int) -> int | None:
    """The other article of this one's cluster it is most like, by signature; None outside a cluster."""
    with store.begin() as conn:
        rows = conn.execute(text(
            f"SELECT o.article_id, o.signature, me.signature FROM {TABLE} me JOIN {TABLE} o "
            "ON o.cluster_id = me.cluster_id AND o.article_id != me.article_id WHERE me.article_id = :a"),
            {"a": article_id}).all()
    if not rows:
        return None
    return max(rows, key=lambda r: (estimated_jaccard(r[1], r[2]), -r[0]))[0]
