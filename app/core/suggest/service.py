"""Suggestions on a dataset: what the suggester learns from, what it offers, what the annotator turned down.

The suggester itself (``train_suggester``) knows nothing of datasets; this module
feeds it and filters what it says:

- ``training_documents`` and ``rejected_strings`` are what it is trained on: the
  done articles' entity spans, and every rejected suggestion's text ("seen and
  left unlabelled"); ``build_suggester`` trains it here (the window uses
  ``trainer.BackgroundTrainer``), and ``with_source`` adds the spaCy pipeline the
  settings may name;
- ``suggestions_for`` is what the annotation panel shows for one article: the
  suggester's spans (or, without one, the stored layer) minus the ones rejected
  for that article and minus those overlapping a span of the same label;
- ``reject_suggestion`` / ``unreject_suggestion`` record a rejection and take it
  back (undo), each returning a ``Changes`` of kind ``SUGGESTION_REJECTED``;
- ``store_suggestions`` / ``stored_suggestions`` keep a precomputed layer per
  article (``article-curator suggest``), apart from the spans so it is never
  exported as labels;
- ``acceptance_rates`` counts, per label, suggestions accepted (spans with origin
  "suggested") and rejected (defined in ``acceptance``).

Suggestions are for entity labels only, and only for labels the dataset has:
accepting one must be able to make a span.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from app.core.cancel import CancelToken
from app.core.changes import ChangeKind, Changes
from app.core.db.in_lists import execute_in, select_in
from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.core.suggest.acceptance import acceptance_percent, acceptance_rates  # noqa: F401 - part of this API
from app.core.suggest.dictionary import Suggestion
from app.core.suggest.spacy_source import with_pipeline
from app.core.suggest.trainer import train_with_rejections
from app.models import db_timestamp

if TYPE_CHECKING:
    from app.core.settings import Settings

Suggester = Callable[[str], list[Suggestion]]
SpanKey = tuple[int, int, str]
Progress = Callable[[int, int, str], object]  # (done, total, what): as the import's progress


DEFAULT_SOURCE = "dataset"
PRECOMPUTE_BATCH = 50  # articles per transaction when a layer is computed for many


# -- what the suggester learns from ------------------------------------------------------------------

def training_documents(store: Store) -> list[dict[str, Any]]:
    """The done articles with their entity spans, as the native export's lines: ``{"text", "spans"}``.

    A span labelled the same by several annotators counts once.
    """
    with store.begin() as conn:
        texts = conn.execute(text("SELECT id, text FROM article WHERE status = 'done' ORDER BY id")).all()
        rows = conn.execute(text(
            'SELECT span.article_id, span.start, span."end", label.name FROM span '
            "JOIN label ON label.id = span.label_id JOIN article ON article.id = span.article_id "
            "WHERE article.status = 'done' AND label.kind = 'entity' ORDER BY span.article_id, span.start, span.\"end\""
        )).all()
    spans: dict[int, dict[SpanKey, None]] = defaultdict(dict)
    for article_id, start, end, label in rows:
        spans[article_id][(start, end, label)] = None
    return [{"text": body, "spans": [{"start": s, "end": e, "label": lb} for s, e, lb in spans.get(art_id, ())]}
            for art_id, body in texts]


def rejected_strings(store: Store) -> list[tuple[str, str]]:
    """Every rejected suggestion as ``(surface text, label)``, one pair per rejection."""
    with store.begin() as conn:
        rows = conn.execute(text(
            "SELECT r.text, label.name FROM suggestion_rejection r JOIN label ON label.id = r.label_id ORDER BY r.id"
        )).all()
    return [(str(surface), str(label)) for surface, label in rows]


def build_suggester(store: Store, settings: Settings | None = None) -> Suggester:
    """The suggester the app uses: trained on the dataset's done articles and its rejections.

    With ``settings``, what ``with_source`` adds to it.
    """
    dataset = train_with_rejections(training_documents(store), rejected_strings(store), entity_labels(store))
    return dataset if settings is None else with_source(store, dataset, settings)


def entity_labels(store: Store) -> list[str]:
    """The names of the dataset's entity labels (those suggestions are for), in their order."""
    with store.begin() as conn:
        names = conn.execute(text("SELECT name FROM label WHERE kind = 'entity' ORDER BY position, name")).scalars()
        return [str(name) for name in names]


def with_source(store: Store, suggester: Suggester, settings: Settings) -> Suggester:
    """``suggester`` (trained on the dataset, here or in the background trainer) with the settings' source.

    When ``suggestion_source`` names an installed spaCy pipeline, that pipeline's
    entities are suggested too, where the dataset's spans leave room
    (``spacy_source.with_pipeline``; its labels mapped to the dataset's entity labels).
    """
    return with_pipeline(suggester, settings, labels=entity_labels(store))


# -- what is offered for one article ---------------------------------------------------------------

def suggestions_for(store: Store, suggester: Suggester | None, article_id: int) -> list[Suggestion]:
    """What to offer on this article: the suggester's spans, or the stored layer without a suggester.

    Left out: suggestions rejected for this article, those overlapping a span of
    the same label (labelled already, or labelled with other bounds), and those
    of labels the dataset has no entity label for.
    """
    with store.begin() as conn:
        body = _article_text(conn, article_id)
        labels = _entity_labels(conn)
        spans = conn.execute(text(
            'SELECT span.start, span."end", label.name FROM span JOIN label ON label.id = span.label_id '
            "WHERE span.article_id = :a"), {"a": article_id}).all()
        rejected = _rejections(conn, article_id)
    if suggester is None:
        offered = stored_suggestions(store, article_id)
    else:  # spans carried over from a near copy are offered beside the suggester's
        offered = suggester(body) + carried_over(store, article_id)
    by_label: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for start, end, label in spans:
        by_label[label].append((start, end))
    taken = {label: _Stretches(ranges) for label, ranges in by_label.items()}
    return [s for s in offered
            if s["label"] in labels and (s["start"], s["end"], s["label"]) not in rejected
            and not (s["label"] in taken and taken[s["label"]].overlap(s["start"], s["end"]))]


class _Stretches:
    """Ranges of a text that may overlap each other, asked whether any overlaps a range: log time each.

    An article may hold thousands of spans (every mention of a name) and as many
    suggestions; comparing every pair would take a noticeable time on the GUI's way.
    """

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(ranges)
        self.starts = [start for start, _ in ordered]
        # furthest[i]: the furthest end among the first i ranges (by start).
        self.furthest = list(itertools.accumulate((end for _, end in ordered), max, initial=-1))

    def overlap(self, start: int, end: int) -> bool:
        # The ranges starting before ``end`` are a prefix; one of them overlaps when it ends after ``start``.
        return self.furthest[bisect.bisect_left(self.starts, end)] > start


def article_rejections(store: Store, article_id: int) -> set[SpanKey]:
    """The suggestions rejected for this article, as ``(start, end, label)``."""
    with store.begin() as conn:
        return _rejections(conn, article_id)


def reject_suggestion(store: Store, article_id: int, start: int, end: int, label: str, *,
                      annotator: str) -> Changes:
    """Record that the annotator turned this suggestion down; rejecting it again changes nothing."""
    with store.begin() as conn:
        body = _article_text(conn, article_id)
        if not 0 <= start < end <= len(body):
            raise InvalidInput(f"{start}–{end} is not a stretch of article {article_id}'s text.")
        label_id = _label_id(conn, label)
        state = rejection_state(article_id, start, end, label, body[start:end], annotator)
        # Another window may reject the same suggestion at the same moment: the first one stored counts.
        stored = conn.execute(text(
            'INSERT INTO suggestion_rejection (article_id, start, "end", label_id, text, annotator, created_at) '
            "VALUES (:a, :s, :e, :l, :t, :who, :now) ON CONFLICT DO NOTHING"),
            {"a": article_id, "s": start, "e": end, "l": label_id, "t": state["text"], "who": annotator,
             "now": db_timestamp()})
    return rejection_changes(state, after=state) if stored.rowcount else Changes()


def unreject_suggestion(store: Store, article_id: int, start: int, end: int, label: str, *,
                        annotator: str | None = None) -> Changes:
    """Take a rejection back (the undo of ``reject_suggestion``): with ``annotator``, only theirs;
    nothing to take back changes nothing."""
    whose = "" if annotator is None else " AND r.annotator = :who"
    with store.begin() as conn:
        row = conn.execute(text(
            "SELECT r.id, r.text, r.annotator FROM suggestion_rejection r JOIN label ON label.id = r.label_id "
            'WHERE r.article_id = :a AND r.start = :s AND r."end" = :e AND label.name = :l' + whose),
            {"a": article_id, "s": start, "e": end, "l": label, "who": annotator}).first()
        if row is None:
            return Changes()
        conn.execute(text("DELETE FROM suggestion_rejection WHERE id = :i"), {"i": row[0]})
    state = rejection_state(article_id, start, end, label, row[1], row[2])
    return rejection_changes(state, before=state)


def rejection_state(article_id: int, start: int, end: int, label: str, surface: str,
                    annotator: str) -> dict[str, Any]:
    """A rejection as its ``Changes`` record holds it (``after`` of a rejection, ``before`` of its undo)."""
    return {"article_id": article_id, "start": start, "end": end, "label": label, "text": surface,
            "annotator": annotator}


def rejection_changes(state: dict[str, Any], *, before: dict[str, Any] | None = None,
                      after: dict[str, Any] | None = None) -> Changes:
    """The record of a rejection (``after=state``) or of taking it back (``before=state``).

    The window can build it before the write is stored, as it does for span edits.
    """
    return Changes(frozenset({ChangeKind.SUGGESTION_REJECTED}), (state["article_id"],), labels=(state["label"],),
                   before=dict(before or {}), after=dict(after or {}))


# -- the precomputed layer ---------------------------------------------------------------------------

def store_suggestions(store: Store, suggestions: Mapping[int, Iterable[Suggestion]], *,
                      source: str = DEFAULT_SOURCE) -> Changes:
    """Replace the stored layer of these articles with these suggestions, in one transaction.

    A suggestion may name its own ``source``; one of a label the dataset does not
    have, or one that does not fit its article's text, is left out. An article
    with no suggestions loses its old layer.
    """
    ids = [int(i) for i in suggestions]
    if not ids:
        return Changes()
    now = db_timestamp()
    with store.begin() as conn:
        labels = _entity_labels(conn)
        lengths = dict(select_in(conn, "SELECT id, length(text) FROM article WHERE id IN :values", ids))
        rows: dict[tuple[int, int, int, int], tuple[Any, ...]] = {}
        for article_id in ids:
            for s in suggestions[article_id]:
                label_id = labels.get(s["label"])
                if label_id is None or not 0 <= s["start"] < s["end"] <= lengths.get(article_id, -1):
                    continue
                key = (article_id, s["start"], s["end"], label_id)
                origin = str(s.get("source") or source)
                rows.setdefault(key, (*key, float(s["score"]), origin, now))
        execute_in(conn, "DELETE FROM suggestion WHERE article_id IN :values", ids)
        if rows:
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            conn.exec_driver_sql(
                'INSERT INTO suggestion (article_id, start, "end", label_id, score, source, created_at) '
                f"VALUES ({', '.join([mark] * 7)})", list(rows.values()))
    return Changes.of(ChangeKind.SUGGESTIONS_STORED, article_ids=ids)


def articles_with_status(store: Store, status: str, limit: int | None = None) -> list[int]:
    """The ids of the articles with this status, oldest first, at most ``limit`` of them."""
    with store.begin() as conn:
        sql = "SELECT id FROM article WHERE status = :s ORDER BY id" + (" LIMIT :n" if limit is not None else "")
        return [int(i) for i in conn.execute(text(sql), {"s": status, "n": limit}).scalars()]


def precompute(store: Store, suggester: Suggester, article_ids: Sequence[int], *, source: str = DEFAULT_SOURCE,
               progress: Progress | None = None, cancel: CancelToken | None = None,
               batch: int = PRECOMPUTE_BATCH) -> Counter[str]:
    """Store what ``suggester`` offers on each of these articles as their layer; the count per label.

    A batch of articles is stored in one transaction, so a cancel (or Ctrl+C)
    leaves every article with either its old layer or its whole new one.
    """
    counts: Counter[str] = Counter()
    for first in range(0, len(article_ids), batch):
        if cancel is not None:
            cancel.raise_if_cancelled()
        found = {}
        for article_id in article_ids[first:first + batch]:
            try:
                found[article_id] = suggestions_for(store, suggester, article_id)
            except InvalidInput:
                continue  # deleted meanwhile
        store_suggestions(store, found, source=source)
        counts.update(s["label"] for offered in found.values() for s in offered)
        if progress is not None:
            done = min(first + batch, len(article_ids))
            progress(done, len(article_ids), f"article {article_ids[done - 1]}")
    return counts


def stored_suggestions(store: Store, article_id: int) -> list[Suggestion]:
    """This article's stored layer as it was computed (rejections and spans since then not taken off)."""
    with store.begin() as conn:
        rows = conn.execute(text(
            'SELECT s.start, s."end", label.name, s.score FROM suggestion s JOIN label ON label.id = s.label_id '
            'WHERE s.article_id = :a ORDER BY s.start, s."end" DESC, label.name'), {"a": article_id}).all()
    return [Suggestion(start=start, end=end, label=label, score=float(score)) for start, end, label, score in rows]


def carried_over(store: Store, article_id: int) -> list[Suggestion]:
    """Stored suggestions copied from a near copy's spans (app.core.quality.span_transfer)."""
    with store.begin() as conn:
        rows = conn.execute(text(
            'SELECT s.start, s."end", label.name, s.score FROM suggestion s JOIN label ON label.id = s.label_id '
            "WHERE s.article_id = :a AND s.source LIKE 'near-copy:%'"), {"a": article_id}).all()
    return [Suggestion(start=start, end=end, label=label, score=float(score)) for start, end, label, score in rows]


def stored_counts(store: Store) -> dict[str, int]:
    """How many stored suggestions each label has, over the whole dataset."""
    with store.begin() as conn:
        rows = conn.execute(text(
            "SELECT label.name, count(*) FROM suggestion s JOIN label ON label.id = s.label_id "
            "GROUP BY label.name, label.position ORDER BY label.position, label.name")).all()
    return {str(label): int(n) for label, n in rows}


# -- helpers ---------------------------------------------------------------------------------------

def _article_text(conn: Any, article_id: int) -> str:
    row = conn.execute(text("SELECT text FROM article WHERE id = :i"), {"i": article_id}).first()
    if row is None:
        raise InvalidInput(f"Article {article_id} no longer exists.")
    return str(row[0])


def _entity_labels(conn: Any) -> dict[str, int]:
    return {str(name): int(i) for i, name in conn.execute(text("SELECT id, name FROM label WHERE kind = 'entity'"))}


def _label_id(conn: Any, name: str) -> int:
    label_id = _entity_labels(conn).get(name)
    if label_id is None:
        raise InvalidInput(f"There is no entity label called {name}.")
    return label_id


def _rejections(conn: Any, article_id: int) -> set[SpanKey]:
    rows = conn.execute(text(
        'SELECT r.start, r."end", label.name FROM suggestion_rejection r JOIN label ON label.id = r.label_id '
        "WHERE r.article_id = :a"), {"a": article_id}).all()
    return {(int(s), int(e), str(lb)) for s, e, lb in rows}
