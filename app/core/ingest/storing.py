"""Writing articles into the store, duplicates recognised by text and address.

All writes are set-based (one INSERT per batch and table) and each batch is one
transaction, so an article is stored whole with its spans and search entry, or
not at all.
"""

from __future__ import annotations

import uuid
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, text
from sqlalchemy.exc import IntegrityError

from app.core.db import span_json
from app.core.db.bulk import insert_many
from app.core.db.in_lists import select_in
from app.core.db.store import Store, sqlite_datetime
from app.core.ingest import span_rows
from app.core.quality import clustering, near_copies
from app.core.team import status as own_status
from app.core.text_norm import canonical_url, hash_of_normalised, normalise_for_hash
from app.core.validation import NewArticle
from app.models import Article, ArticleSource, Label, utcnow


@dataclass(frozen=True)
class StoreOutcome:
    outcome: str  # "imported" or "duplicate"
    article_id: int
    uid: str
    reason: str = ""  # why a duplicate; for an imported article, the stored article it is a near copy of
    near_copy_of: int | None = None
    spans_added: int = 0  # a duplicate's spans added to the stored article as an annotator's layer


@dataclass
class NewLabels:
    """Labels that storing articles created, with how many stored spans use each.

    Spans stored later with a label created earlier (in another batch of the same
    import) count too, so an import can say "created label LOCATION for 14 spans".
    """

    names: dict[int, str] = field(default_factory=dict)  # label id: name as created
    spans: dict[str, int] = field(default_factory=dict)  # name: spans stored with it
    suggestions: dict[str, int] = field(default_factory=dict)  # name: suggestions stored with it (imported ones)

    def add(self, created: dict[int, str], per_label: Counter[int]) -> None:
        self.names.update(created)
        for label_id, name in self.names.items():
            self.spans[name] = self.spans.get(name, 0) + per_label.get(label_id, 0)

    def add_suggestions(self, per_label: Counter[int]) -> None:
        for label_id, name in self.names.items():
            if per_label.get(label_id):
                self.suggestions[name] = self.suggestions.get(name, 0) + per_label[label_id]


def new_uid() -> str:
    return uuid.uuid4().hex[:16]


def label_ids(conn: Connection, names: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    """Ids of labels by name, and the names of the labels this call had to create.

    A name matches a label of the dataset without regard to case (``person`` is
    PERSON), so an import cannot silently add a second spelling of a label; an
    exact match wins where the dataset itself holds two spellings. Names that
    match nothing become new entity labels, spelt as they first appear.
    """
    wanted = list(dict.fromkeys(names))
    known = {n: i for i, n in conn.execute(text("SELECT id, name FROM label ORDER BY position, id"))}
    folded: dict[str, int] = {}
    for name, label_id in known.items():
        folded.setdefault(name.casefold(), label_id)
    created: list[str] = []
    position = None
    for name in wanted:
        if name in known or name.casefold() in folded:
            continue
        if position is None:
            position = conn.execute(text("SELECT coalesce(max(position), -1) + 1 FROM label")).scalar_one()
        key = conn.execute(
            insert(Label.__table__).values(name=name, kind="entity", position=position + len(created))
        ).inserted_primary_key
        assert key is not None  # an INSERT of one row has one
        label_id = key[0]
        known[name] = folded[name.casefold()] = label_id
        created.append(name)
    return {n: known[n] if n in known else folded[n.casefold()] for n in wanted}, created


# One statement per chunk of values, not per value: a query per article costs more than storing it.
_BY_TEXT_HASH = "SELECT id, uid, title, text_hash FROM article WHERE text_hash IN :values"
_BY_CANONICAL_URL = "SELECT id, uid, title, canonical_url FROM article WHERE canonical_url IN :values"
_BY_CANONICAL_PAGE_URL = "SELECT id, uid, title, canonical_page_url FROM article WHERE canonical_page_url IN :values"
_IDS_BY_UID = "SELECT uid, id FROM article WHERE uid IN :values"


def _find_duplicates(
    conn: Connection, hashes: Iterable[str], urls: Iterable[str]
) -> tuple[dict[str, tuple[int, str, str]], dict[str, tuple[int, str, str]]]:
    """Stored articles with any of these text hashes, and with any of these addresses
    as the one they were fetched from or the one their page declares."""
    urls = list(urls)
    by_hash: dict[str, tuple[int, str, str]] = {}
    by_url: dict[str, tuple[int, str, str]] = {}
    for query, values, found in ((_BY_TEXT_HASH, hashes, by_hash), (_BY_CANONICAL_URL, urls, by_url),
                                 (_BY_CANONICAL_PAGE_URL, urls, by_url)):
        for row in select_in(conn, query, values):
            found.setdefault(row[3], (row[0], row[1], row[2]))
    return by_hash, by_url


def duplicate_reason(article_id: int, uid: str, title: str, address: str | None = None) -> str:
    """Why an item is a duplicate; ``address`` when it was recognised by the address its page declares."""
    shown = f"“{title}”" if title else f"article {uid}"
    why = f": the page gives the same address, {address}" if address else ""
    return f"Already in the dataset as {shown} (id {uid}){why}."


def store_articles(store: Store, articles: Sequence[NewArticle], *, annotator: str = "", layer: str = "",
                   new_labels: NewLabels | None = None,
                   near_copy_threshold: float = near_copies.DEFAULT_THRESHOLD) -> list[StoreOutcome]:
    """Store validated articles in one transaction; duplicates are reported, not stored.

    Returns one outcome per input article, in order. Raises on a database error,
    in which case nothing of this batch was written. Labels that spans need and
    the dataset lacks are created and recorded in ``new_labels``. An article at
    least ``near_copy_threshold`` similar to a stored one is stored as a near copy
    of it (app/core/quality/near_copies.py), and its outcome says so.

    ``annotator`` is given to spans that name none. With ``layer``, every span is
    that annotator's instead, and the spans of an article the dataset already
    holds are added to it as their layer (two annotators' copies of the same
    articles, labelled in separate files): see ``_add_layer``. Each annotator of
    the stored spans gets their own status of the article (``_own_statuses``).
    """
    now = utcnow()
    outcomes: list[StoreOutcome | None] = [None] * len(articles)
    # Signatures before the transaction: its write lock is held for storing only.
    normalised = [normalise_for_hash(art.text) for art in articles]  # once, for the hash and the signature
    signatures = near_copies.prepare(normalised, normalised=True)
    # Near copies are looked up among signed articles: sign those an upgrade left unsigned first.
    clustering.sign_and_cluster_missing(store, near_copy_threshold)
    index = near_copies.index_for(store, near_copy_threshold)
    index.warm(store)
    with store.begin() as conn:
        stamp = _row_time(conn, now)
        seen_hash: dict[str, int] = {}
        seen_url: dict[str, int] = {}
        rows: list[dict[str, object]] = []
        pending: list[int] = []  # index into ``articles`` of each row
        keys = [(hash_of_normalised(n), art.canonical_url or canonical_url(art.url))
                for n, art in zip(normalised, articles, strict=True)]
        # Where an article can be found: the address it came from, and the one its page declares.
        addresses = [[u for u in (curl, art.canonical_page_url) if u]
                     for (_, curl), art in zip(keys, articles, strict=False)]
        stored_hash, stored_url = _find_duplicates(conn, (h for h, _ in keys), (u for a in addresses for u in a))
        layered: list[int] = []  # index into ``articles`` of each duplicate whose spans join the stored article
        for i, art in enumerate(articles):
            thash, curl = keys[i]
            dup = stored_hash.get(thash)
            if dup is not None:
                outcomes[i] = StoreOutcome("duplicate", dup[0], dup[1], duplicate_reason(*dup))
                layered += [i] if layer and art.spans else []
                continue
            address, dup = next(((u, stored_url[u]) for u in addresses[i] if u in stored_url), (None, None))
            if dup is not None:
                via = address if address != curl else None
                outcomes[i] = StoreOutcome("duplicate", dup[0], dup[1], duplicate_reason(*dup, via))
                layered += [i] if layer and art.spans else []
                continue
            earlier = seen_hash.get(thash, next((seen_url[u] for u in addresses[i] if u in seen_url), -1))
            if earlier >= 0:
                outcomes[i] = StoreOutcome("duplicate", -1, "", f"Same article as item {earlier + 1} of this batch.")
                continue
            seen_hash[thash] = i
            for u in addresses[i]:
                seen_url[u] = i
            pending.append(i)
            rows.append(
                {
                    "uid": art.uid or new_uid(),
                    "url": art.url,
                    "canonical_url": curl,
                    "canonical_page_url": art.canonical_page_url,
                    "title": art.title or "",
                    "author": art.author,
                    "published": art.published,
                    "site_name": art.site_name,
                    "language": art.language,
                    "text": art.text,
                    "text_hash": thash,
                    "extractor": art.extractor,
                    "extractor_version": art.extractor_version,
                    "source_kind": art.source_kind,
                    "source": art.source,
                    "status": art.status,
                    "meta": orjson.dumps(art.meta, option=orjson.OPT_SORT_KEYS).decode(),
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        merged = _add_layer(conn, [(articles[i], outcomes[i]) for i in layered], layer, now)  # type: ignore[misc]
        for i, outcome in zip(layered, merged.outcomes, strict=True):
            outcomes[i] = outcome
        if not rows:
            if new_labels is not None:
                new_labels.add(merged.created, merged.per_label)
            return [o for o in outcomes if o is not None]
        taken = _existing_uids(conn, [str(r["uid"]) for r in rows])
        for r in rows:
            if r["uid"] in taken:
                r["uid"] = new_uid()  # an id taken by another article: keep both, give a new one
            taken.add(str(r["uid"]))  # also when two items of this batch bring the same id
        # A plain executemany, then the new ids by their unique uid: RETURNING would make
        # SQLAlchemy build multi-row statements in Python, which costs more than the lookup.
        insert_many(conn, Article.__table__, rows)
        id_by_uid = {uid: art_id for uid, art_id in select_in(conn, _IDS_BY_UID, [str(r["uid"]) for r in rows])}
        ids = [id_by_uid[str(r["uid"])] for r in rows]
        store.search.index_range(conn, min(ids), max(ids))
        created, per_label = _insert_children(conn, [articles[i] for i in pending], ids, stamp, layer or annotator,
                                              overrides=bool(layer))
        _own_statuses(conn, [(articles[i], art_id) for i, art_id in zip(pending, ids, strict=True)], layer,
                      annotator, now)
        signed = [(art_id, signatures[i]) for i, art_id in zip(pending, ids, strict=True)]
        copies = near_copies.record(conn, index, signed)
        for i, art_id, row in zip(pending, ids, rows, strict=True):
            copy = copies.get(art_id)
            outcomes[i] = StoreOutcome("imported", art_id, str(row["uid"]), _near_copy_note(copy),
                                       copy.article_id if copy else None)
    with index.lock:  # only now: a batch rolled back is in no index
        index.add_all([(art_id, pending_signature.blob) for art_id, pending_signature in signed])
    if new_labels is not None:  # only now: a batch rolled back created nothing
        new_labels.add(merged.created, merged.per_label)
        new_labels.add(created, per_label)
    return [o for o in outcomes if o is not None]


@dataclass
class _Merged:
    outcomes: list[StoreOutcome]
    created: dict[int, str] = field(default_factory=dict)
    per_label: Counter[int] = field(default_factory=Counter)


def _add_layer(conn: Connection, duplicates: list[tuple[NewArticle, StoreOutcome]], layer: str,
               now: datetime) -> _Merged:
    """Add each duplicate's spans to the stored article it duplicates, as ``layer``'s.

    A span ``layer`` already has there is not added again, nor one whose text the
    stored article does not have at the same offsets (its text differs from the
    file's there). ``layer``'s own status of each article is set as for an import.
    """
    if not duplicates:
        return _Merged([])
    ids = {o.article_id for _, o in duplicates}
    bodies = dict(select_in(conn, "SELECT id, text FROM article WHERE id IN :values", ids))
    lids, created = label_ids(conn, [s.label for art, _ in duplicates for s in art.spans])
    held: dict[int, set[tuple[int, int, int]]] = {i: set() for i in ids}
    for art_id, start, end, label_id in select_in(conn, 'SELECT article_id, start, "end", label_id FROM span '
                                                        "WHERE annotator = :who AND article_id IN :values",
                                                  ids, {"who": layer}):
        held[art_id].add((start, end, label_id))
    rows: list[span_rows.SpanRow] = []
    outcomes = []
    stamp, claims = _row_time(conn, now), span_rows.Claims(conn, stored=True)
    for art, outcome in duplicates:
        body, have = bodies[outcome.article_id], held[outcome.article_id]
        fitting = [s for s in art.spans if body[s.start:s.end] == art.text[s.start:s.end]]
        new = []
        for s in fitting:
            if (key := (s.start, s.end, lids[s.label])) not in have:
                have.add(key)
                new.append(s)
        rows += span_rows.rows_of(art.model_copy(update={"spans": new}), outcome.article_id, lids, layer, True,
                                  stamp, claims)
        outcomes.append(replace(outcome, spans_added=len(new),
                                reason=outcome.reason + _layer_note(layer, len(new), len(art.spans) - len(fitting))))
    per_label = span_rows.insert(conn, rows, claims) if rows else Counter()
    span_json.refresh(conn, sorted({r[span_rows.ARTICLE] for r in rows}))
    _own_statuses(conn, [(art, o.article_id) for art, o in duplicates], layer, "", now)
    return _Merged(outcomes, {lids[name]: name for name in created}, per_label)


def _layer_note(layer: str, added: int, misfits: int) -> str:
    said = f" Added {added} of {layer}'s spans to it." if added else ""
    if not added and not misfits:
        said = f" It already had {layer}'s spans."
    if misfits:
        said += (f" {misfits} span{'s were' if misfits != 1 else ' was'} not added: the stored text differs "
                 "from the file's there.")
    return said


def _own_statuses(conn: Connection, stored: list[tuple[NewArticle, int]], layer: str, annotator: str,
                  now: datetime) -> None:
    """Each annotator's own status of the stored articles (table ``article_status``).

    With ``layer``: the record's status when it gives one, else done when it has
    spans (a file of someone's labelled articles). Without: the record's status
    for each annotator of its spans, unless it is new, so that importing an export
    again keeps who finished what.
    """
    rows: list[tuple[int, str, str]] = []
    for art, art_id in stored:
        if layer:
            given = art.status if "status" in art.model_fields_set else ("done" if art.spans else None)
            rows += [(art_id, layer, given)] if given else []
        elif art.status != "new":
            rows += [(art_id, who, art.status) for who in sorted({s.annotator or annotator for s in art.spans})
                     if who]
    own_status.set_each(conn, rows, now)


def _row_time(conn: Connection, now: datetime) -> datetime | str:
    """``now`` as a batch's rows carry it: for SQLite the text sqlite3 would store for it
    (``sqlite_file._adapt_datetime``, the form SQLAlchemy stores too), made once rather than
    once for each of a batch's thousands of rows."""
    if conn.dialect.name != "sqlite":
        return now
    return sqlite_datetime(now)


def _near_copy_note(copy: near_copies.NearCopy | None) -> str:
    if copy is None:
        return ""
    said = copy.describe()
    return f"{said[0].upper()}{said[1:]}."


def _existing_uids(conn: Connection, uids: list[str]) -> set[str]:
    return {row[0] for row in select_in(conn, _IDS_BY_UID, uids)}


def _insert_children(
    conn: Connection, articles: list[NewArticle], ids: list[int], stamp: datetime | str, annotator: str,
    overrides: bool = False,
) -> tuple[dict[int, str], Counter[int]]:
    """Store the articles' sources and spans; returns the labels created (id: name) and spans per label id.

    ``annotator`` is the annotator of the spans that name none, or with ``overrides`` of every span."""
    sources = [
        {
            "article_id": art_id,
            "compression": "zlib",
            "content_type": art.content_type,
            # Level 1: on real news pages 3.8x smaller (level 6: 4.4x) in half the
            # time, on the importing thread that must keep up with every extraction worker.
            "data": zlib.compress(art.source_bytes, 1),
        }
        for art, art_id in zip(articles, ids, strict=True)
        if art.source_bytes
    ]
    if sources:
        conn.execute(insert(ArticleSource.__table__), sources)
    names = [s.label for art in articles for s in art.spans]
    if not names:
        return {}, Counter()
    lids, created = label_ids(conn, names)
    claims = span_rows.Claims(conn)
    spans = [row for art, art_id in zip(articles, ids, strict=True)
             for row in span_rows.rows_of(art, art_id, lids, annotator, overrides, stamp, claims)]
    per_label = span_rows.insert(conn, spans, claims)
    span_rows.store_lists(conn, spans, {art_id: art.text for art, art_id in zip(articles, ids, strict=True)})
    return {lids[name]: name for name in created}, per_label


def store_article(store: Store, article: NewArticle, *, annotator: str = "") -> StoreOutcome:
    return store_articles(store, [article], annotator=annotator)[0]


def store_articles_resilient(
    store: Store, articles: Sequence[NewArticle], *, annotator: str = "", layer: str = "",
    new_labels: NewLabels | None = None, near_copy_threshold: float = near_copies.DEFAULT_THRESHOLD,
) -> list[StoreOutcome | Exception]:
    """Like ``store_articles`` but a batch that fails is retried one article at a time,
    so one bad article cannot take its neighbours down with it."""
    options: dict[str, Any] = {"annotator": annotator, "layer": layer, "new_labels": new_labels,
                               "near_copy_threshold": near_copy_threshold}
    try:
        return list(store_articles(store, articles, **options))
    except IntegrityError:
        results: list[StoreOutcome | Exception] = []
        for art in articles:
            try:
                results.append(store_articles(store, [art], **options)[0])
            except IntegrityError as exc:
                results.append(exc)
        return results


def source_bytes(store: Store, article_id: int) -> bytes | None:
    with store.begin() as conn:
        row = conn.execute(text("SELECT data FROM article_source WHERE article_id = :i"), {"i": article_id}).first()
    return zlib.decompress(row[0]) if row else None
