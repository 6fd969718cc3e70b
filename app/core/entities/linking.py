"""Spans linked to entities: link and unlink, merge two entities, split one, link a dataset automatically.

A span links to an entity of its own label (a PERSON span to a PERSON). Each
edit is one transaction and returns a ``Changes`` (``SPANS_LINKED`` for links,
``ENTITIES_CHANGED`` for a merge or a split) whose ``before``/``after`` hold what
``history.undo`` needs: the spans' earlier links, the merged entity as it was,
the entity a split made. Mentions move with one ``UPDATE ... WHERE entity_id =``
through the span index, so a merge of ten thousand mentions is one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from app.core.changes import ChangeKind, Changes
from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.entities import claim_columns
from app.core.entities.matching import keys_to_entities, normalise
from app.core.entities.registry import (
    articles_of,
    checked_name,
    claim_ids,
    entity_changes,
    entity_state,
    insert_aliases,
    insert_entity,
    mention_ids,
    relink,
    relink_claims,
)
from app.core.errors import InvalidInput
from app.models import db_timestamp

_LINKS_SQL = "SELECT id, article_id, label_id, entity_id FROM span WHERE id IN :values"


def _links(conn: Any, span_ids: Sequence[int]) -> dict[int, tuple[int, int, int | None]]:
    """Each existing span's (article, label, entity) by id; raises InvalidInput when one is gone."""
    rows = {int(r[0]): (int(r[1]), int(r[2]), r[3]) for r in select_in(conn, _LINKS_SQL, span_ids)}
    gone = [i for i in span_ids if i not in rows]
    if gone:
        raise InvalidInput(f"{len(gone)} of the {len(span_ids)} spans no longer exist.")
    return rows


def link_spans(store: Store, span_ids: Sequence[int], entity_id: int | None) -> Changes:
    """Link spans to an entity of their label (None: unlink them); undo with ``restore_links``."""
    ids = list(dict.fromkeys(int(i) for i in span_ids))
    with store.begin() as conn:
        links = _links(conn, ids)
        if entity_id is not None:
            label_id = entity_state(conn, entity_id)["label_id"]
            if any(label != label_id for _a, label, _e in links.values()):
                raise InvalidInput("A span links only to an entity of its own label.")
        relink(conn, ids, entity_id)
    before = {i: links[i][2] for i in ids}
    touched = {e for e in before.values() if e is not None} | ({entity_id} if entity_id is not None else set())
    return entity_changes(ChangeKind.SPANS_LINKED, sorted(touched), article_ids=sorted({a for a, _l, _e in
                                                                                        links.values()}),
                          span_ids=ids, before={"op": "link", "links": before},
                          after={"op": "link", "entity_id": entity_id})


def restore_links(store: Store, links: dict[int, int | None]) -> Changes:
    """Give each span back its own earlier link (the undo of ``link_spans`` and ``auto_link``)."""
    by_entity: dict[int | None, list[int]] = defaultdict(list)
    for span_id, entity_id in links.items():
        by_entity[entity_id].append(int(span_id))
    with store.begin() as conn:
        articles = {a for a, _l, _e in _links(conn, list(links)).values()}
        for entity_id, ids in by_entity.items():
            relink(conn, ids, entity_id)
    touched = sorted(e for e in by_entity if e is not None)
    return entity_changes(ChangeKind.SPANS_LINKED, touched, article_ids=sorted(articles), span_ids=list(links),
                          after={"op": "link", "links": dict(links)})


def merge_entities(store: Store, keep_id: int, gone_id: int) -> Changes:
    """Merge entity ``gone_id`` into ``keep_id``: its mentions and aliases follow, its name becomes an alias.

    The kept entity takes the external id of the other when it has none. Undo: ``undo_merge``.
    """
    if keep_id == gone_id:
        raise InvalidInput("An entity cannot be merged into itself.")
    with store.begin() as conn:
        keep, gone = entity_state(conn, keep_id), entity_state(conn, gone_id)
        if keep["label_id"] != gone["label_id"]:
            raise InvalidInput(f"A {gone['kind']} cannot be merged into a {keep['kind']}.")
        mentions, claims = mention_ids(conn, gone_id), claim_ids(conn, gone_id)
        conn.execute(text("UPDATE span SET entity_id = :k WHERE entity_id = :g"), {"k": keep_id, "g": gone_id})
        conn.execute(text("UPDATE span SET claimant_id = :k WHERE claimant_id = :g"), {"k": keep_id, "g": gone_id})
        added = insert_aliases(conn, keep_id, normalise(keep["name"]), [gone["name"], *gone["aliases"]],
                               strict=False)
        external_id = keep["external_id"] or gone["external_id"]
        conn.execute(text("UPDATE entity SET external_id = :x, updated_at = :now WHERE id = :i"),
                     {"x": external_id, "now": db_timestamp(), "i": keep_id})
        conn.execute(text("DELETE FROM entity WHERE id = :i"), {"i": gone_id})
        claim_columns.refresh_spans(conn, claims)  # the claims of the other entity go by this one's name
        articles = articles_of(conn, keep_id)
    before = {"op": "merge", "entity": gone, "mentions": mentions, "claims": claims, "keep_id": keep_id,
              "added_aliases": added, "external_id": keep["external_id"]}
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (keep_id, gone_id), article_ids=articles,
                          span_ids=mentions, before=before, after={"op": "merge", "keep_id": keep_id})


def undo_merge(store: Store, before: dict[str, Any]) -> Changes:
    """Take a merge back: the merged entity returns with its id, aliases and mentions; the kept one is as it was."""
    keep_id, gone = int(before["keep_id"]), before["entity"]
    with store.begin() as conn:
        entity_state(conn, keep_id)
        relink_from = before["mentions"]
        for alias_id in before["added_aliases"]:
            conn.execute(text("DELETE FROM entity_alias WHERE id = :i"), {"i": alias_id})
        conn.execute(text("UPDATE entity SET external_id = :x WHERE id = :i"),
                     {"x": before["external_id"], "i": keep_id})
        insert_entity(conn, gone)
        relink(conn, relink_from, int(gone["id"]))
        relink_claims(conn, before.get("claims", ()), int(gone["id"]))
        articles = articles_of(conn, keep_id) + articles_of(conn, int(gone["id"]))
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (keep_id, int(gone["id"])), article_ids=sorted(set(articles)),
                          span_ids=relink_from, after={"op": "unmerge", "entity": gone})


def split_entity(store: Store, entity_id: int, span_ids: Sequence[int], name: str) -> Changes:
    """Move the chosen mentions of an entity to a new entity of the same kind called ``name``. Undo: ``undo_split``."""
    ids = list(dict.fromkeys(int(i) for i in span_ids))
    if not ids:
        raise InvalidInput("Choose the mentions that belong to the new entity.")
    name, key = checked_name(name)
    now = db_timestamp()
    with store.begin() as conn:
        old = entity_state(conn, entity_id)
        links = _links(conn, ids)
        if any(e != entity_id for _a, _l, e in links.values()):
            raise InvalidInput(f"Only mentions of {old['name']} can be split off it.")
        new_id = int(conn.execute(text(
            "INSERT INTO entity (label_id, name, name_key, external_id, note, created_at, updated_at) "
            "VALUES (:l, :n, :k, '', '', :now, :now) RETURNING id"),
            {"l": old["label_id"], "n": name, "k": key, "now": now}).scalar_one())
        relink(conn, ids, new_id)
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id, new_id),
                          article_ids=sorted({a for a, _l, _e in links.values()}), span_ids=ids,
                          after={"op": "split", "from_id": entity_id, "entity_id": new_id, "mentions": ids})


def undo_split(store: Store, after: dict[str, Any]) -> Changes:
    """Take a split back: the moved mentions return and the entity the split made is deleted."""
    new_id, from_id = int(after["entity_id"]), int(after["from_id"])
    with store.begin() as conn:
        entity_state(conn, from_id)
        relink(conn, mention_ids(conn, new_id), from_id)
        conn.execute(text("DELETE FROM entity WHERE id = :i"), {"i": new_id})
        articles = articles_of(conn, from_id)
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (from_id, new_id), article_ids=articles,
                          span_ids=after["mentions"], after={"op": "unsplit", "entity_id": from_id})


@dataclass
class AutoLinkReport:
    """What ``auto_link`` did: spans linked, and texts that name more than one entity (left unlinked)."""

    changes: Changes
    linked: int = 0
    # (label, the span text as first seen, how many spans) -> the ids of the entities it names
    ambiguous: dict[tuple[str, str, int], list[int]] = field(default_factory=dict)


_UNLINKED_SQL = ("SELECT span.id, span.article_id, span.label_id, span.text, label.name FROM span "
                 "JOIN label ON label.id = span.label_id WHERE span.entity_id IS NULL AND label.kind = 'entity'")


def auto_link(store: Store) -> AutoLinkReport:
    """Link every unlinked entity span whose text names exactly one entity of its label; one transaction.

    Each distinct text is normalised once; the spans go to their entity a chunk of
    ids per statement. Texts that name two entities or more are reported, not guessed.
    """
    with store.begin() as conn:
        entity_labels = [int(r[0]) for r in conn.execute(text("SELECT id FROM label WHERE kind = 'entity'"))]
        names = keys_to_entities(conn, entity_labels)
        keys: dict[str, str] = {}
        to_link: dict[int, list[int]] = defaultdict(list)
        articles: set[int] = set()
        ambiguous: dict[tuple[int, str], tuple[str, str, list[int]]] = {}
        counts: dict[tuple[int, str], int] = defaultdict(int)
        for span_id, article_id, label_id, span_text, label in conn.execute(text(_UNLINKED_SQL)):
            key = keys.get(span_text)
            if key is None:
                key = keys[span_text] = normalise(span_text)
            candidates = names.get((label_id, key))
            if not candidates:
                continue
            if len(candidates) > 1:
                ambiguous.setdefault((label_id, key), (label, span_text, sorted(candidates)))
                counts[(label_id, key)] += 1
                continue
            to_link[next(iter(candidates))].append(int(span_id))
            articles.add(int(article_id))
        for entity_id, ids in to_link.items():
            relink(conn, ids, entity_id)
    span_ids = [i for ids in to_link.values() for i in ids]
    changes = entity_changes(ChangeKind.SPANS_LINKED, sorted(to_link), article_ids=sorted(articles),
                             span_ids=span_ids, before={"op": "link", "links": dict.fromkeys(span_ids)},
                             after={"op": "auto_link"})
    report = {(label, first, counts[k]): ids for k, (label, first, ids) in ambiguous.items()}
    return AutoLinkReport(changes, len(span_ids), dict(sorted(report.items())))
