"""The span rows of stored articles: made from their validated spans, written with what depends on them.

A batch of an import writes thousands of span rows, so each is a plain tuple
(``COLUMNS``, in that order) from the article's spans to the driver: one dict
per span cost more than SQLite's own work of storing it. A claim's row holds
its sort columns (``claim_columns.values_of``) where they can be computed here;
the others are computed in SQL right after, in the same transaction, as are the
articles' ready-made export lists (``span_json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from app.core.db import span_json
from app.core.db.bulk import insert_tuples
from app.core.db.in_lists import select_in
from app.core.entities import claim_columns
from app.core.validation import NewArticle, NewSpan

COLUMNS = ("article_id", "start", "end", "label_id", "text", "annotator", "origin", "attributes", "entity_id",
           "claimant_id", "created_at", "updated_at", *claim_columns.COLUMNS)
SpanRow = tuple[Any, ...]
ARTICLE, LABEL = 0, 3  # positions in a row
_NO_CLAIM = (None,) * len(claim_columns.COLUMNS)
_SORTED_KEYS = orjson.OPT_SORT_KEYS


class Claims:
    """The claim labels of a dataset, and the articles of a batch whose claims SQL must compute."""

    def __init__(self, conn: Connection, *, stored: bool = False) -> None:
        """``stored``: the spans go to articles the dataset held before, so that the articles at hand
        may not be what it holds: SQL computes all their claims. So it does on a database server,
        whose ``lower`` follows its own locale (a Turkish one lowers "I" to "ı", Python does not)."""
        self.labels = frozenset(r[0] for r in conn.exec_driver_sql("SELECT id FROM label WHERE kind = 'claim'"))
        self.stored = stored or conn.dialect.name != "sqlite"
        self.unsure: set[int] = set()

    def values(self, art: NewArticle, art_id: int, span: NewSpan) -> tuple[str | None, ...]:
        """A claim's sort columns; NULL for now where SQL must compute them."""
        values = None if self.stored else claim_columns.values_of(span.attributes, span.claimant_id, art.published,
                                                                  art.site_name)
        if values is None:
            self.unsure.add(art_id)
            return _NO_CLAIM
        return values


def rows_of(art: NewArticle, art_id: int, lids: dict[str, int], annotator: str, overrides: bool,
            now: datetime | str, claims: Claims) -> list[SpanRow]:
    """The rows of an article's spans; ``annotator`` is the annotator of those that name none, or with
    ``overrides`` of every span. ``lids`` gives each label name's id."""
    rows: list[SpanRow] = []
    seen: set[tuple[int, int, int, str]] = set()
    text = art.text
    for s in art.spans:
        who = annotator if overrides else s.annotator or annotator
        label_id = lids[s.label]
        key = (s.start, s.end, label_id, who)
        if key in seen:
            continue  # the same span twice in one record (perhaps spelt PERSON and person): keep one
        seen.add(key)
        attributes = orjson.dumps(s.attributes, option=_SORTED_KEYS).decode() if s.attributes else "{}"
        rows.append((art_id, s.start, s.end, label_id, text[s.start : s.end], who, s.origin, attributes,
                     s.entity_id, s.claimant_id, now, now,
                     *(claims.values(art, art_id, s) if label_id in claims.labels else _NO_CLAIM)))
    return rows


def insert(conn: Connection, rows: Sequence[SpanRow], claims: Claims) -> Counter[int]:
    """Insert span rows, then have SQL compute the claims' sort columns ``rows_of`` left to it; returns
    the rows per label id."""
    insert_tuples(conn, "span", COLUMNS, rows)
    # Before the export lists are built: the claims' dates and verdicts, from their articles.
    claim_columns.refresh_articles(conn, sorted(claims.unsure))
    return Counter(r[LABEL] for r in rows)


def store_lists(conn: Connection, rows: Sequence[SpanRow], bodies: dict[int, str]) -> None:
    """The cached span lists (``span_json``) of articles just inserted, from their rows as inserted."""
    names: dict[int, Any] = dict(select_in(conn, "SELECT id, name FROM label WHERE id IN :values",
                                           {r[LABEL] for r in rows}))
    span_json.store_new(conn, [
        (art_id, start, end, names[label_id], who, text, None if attributes == "{}" else attributes, entity, claimant)
        for art_id, start, end, label_id, text, who, _origin, attributes, entity, claimant, *_rest in rows
    ], bodies)
