"""Who a claim's claimant is: the names a claim details box offers, and setting the claimant.

A claim keeps its claimant's name in its ``claimant`` attribute and, once linked,
the entity in ``span.claimant_id``. ``article_options`` lists the PERSON and ORG
mentions of the claim's article, the proposed claimant first
(``claimant.propose_claimant``), then the others nearest the claim first;
``registry_options`` the entities whose name or an alias starts with (then
contains) what was typed; ``new_options`` a new entity of each claimant kind.
Picking an option gives the name and entity to store; a mention not yet linked
to an entity is linked through the registry when its name names exactly one
entity of its kind, and otherwise makes a new one (``ClaimantOption.new_kind``).

``set_claimant`` stores a claimant in one transaction (making the new entity
first when asked) and returns a ``Changes`` whose ``before`` its undo,
``undo_set_claimant``, restores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from app.core.changes import ChangeKind, Changes
from app.core.db.in_lists import in_list
from app.core.db.store import Store
from app.core.entities import registry
from app.core.entities.claimant import ORG_LABELS, PERSON_LABELS, propose_claimant
from app.core.entities.matching import normalise
from app.core.errors import InvalidInput
from app.core.ops import span_edits

CLAIMANT_KINDS = (*PERSON_LABELS, *ORG_LABELS)


@dataclass(frozen=True)
class ClaimantOption:
    """One entry of the claimant box: the name it stores and the entity it links (or makes)."""

    name: str
    entity_id: int | None  # the entity picked; None with new_kind: one made on picking; None alone: a free name
    kind: str  # PERSON, ORG, ... ("" for a free name)
    source: str  # "proposed", "article", "registry" or "new"
    detail: str = ""  # why it is offered ("next to “said”"), or an alias that matched
    new_kind: str | None = None  # make an entity of this kind called ``name`` when picked

    def key(self) -> tuple[Any, ...]:
        return (self.entity_id,) if self.entity_id is not None else (normalise(self.name), self.new_kind)


Mention = tuple[int, int, str, int | None]  # start, end, label, entity id


def claimant_kinds(store: Store) -> list[str]:
    """The dataset's entity labels a claimant can be (PERSON, ORG and their synonyms), in label order."""
    params: dict[str, Any] = {}
    marks = in_list(params, "k", list(CLAIMANT_KINDS))
    with store.begin() as conn:
        return [r[0] for r in conn.execute(text(
            f"SELECT name FROM label WHERE kind = 'entity' AND name IN ({marks}) ORDER BY position, name"), params)]


def article_mentions(store: Store, article_id: int) -> list[Mention]:
    """The article's PERSON and ORG spans with their entity links, in text order."""
    params: dict[str, Any] = {"a": article_id}
    marks = in_list(params, "k", list(CLAIMANT_KINDS))
    with store.begin() as conn:
        return [(int(r[0]), int(r[1]), r[2], r[3]) for r in conn.execute(text(
            'SELECT span.start, span."end", label.name, span.entity_id FROM span '
            f"JOIN label ON label.id = span.label_id WHERE span.article_id = :a AND label.name IN ({marks}) "
            'ORDER BY span.start, span."end"'), params)]


def article_options(store: Store, article_text: str, claim: tuple[int, int],
                    mentions: Iterable[Mention]) -> list[ClaimantOption]:
    """The article's PERSON and ORG mentions as claimant options: the proposals first, then by distance."""
    every = [m for m in mentions if m[2] in CLAIMANT_KINDS]
    by_place = {(m[0], m[1], m[2]): m for m in every}
    proposals = propose_claimant(article_text, claim, [m[:3] for m in every])
    reasons = {(p.start, p.end, p.label): p.reason for p in proposals}
    start, end = claim

    def distance(m: Mention) -> int:
        if m[0] >= start and m[1] <= end:
            return -1
        return start - m[1] if m[1] <= start else m[0] - end

    ordered = [by_place[(p.start, p.end, p.label)] for p in proposals if (p.start, p.end, p.label) in by_place]
    ordered += sorted((m for m in every if (m[0], m[1], m[2]) not in reasons), key=lambda m: (distance(m), m[0]))
    options: list[ClaimantOption] = []
    seen: set[tuple[Any, ...]] = set()
    with store.begin() as conn:
        for at, m in enumerate(ordered):
            source = "proposed" if at == 0 and reasons else "article"
            reason = reasons.get((m[0], m[1], m[2]), "in this article")
            for option in _mention_options(conn, " ".join(article_text[m[0]:m[1]].split()), m, source, reason):
                if option.key() not in seen and option.name:
                    seen.add(option.key())
                    options.append(option)
    return options


def _mention_options(conn: Any, surface: str, mention: Mention, source: str, reason: str) -> list[ClaimantOption]:
    """A mention as options: its entity, else every entity its name names (two Martinets: both), else a new one."""
    label, entity_id = mention[2], mention[3]
    ids = [entity_id] if entity_id is not None else _entities_named(conn, surface, label)
    if not ids:
        return [ClaimantOption(surface, None, label, source, reason, new_kind=label)]
    return [ClaimantOption(name, i, kind, source, reason) for i, name, kind in _entities(conn, ids)]


def _entities_named(conn: Any, name: str, kind: str) -> list[int]:
    key = normalise(name)
    return [int(r[0]) for r in conn.execute(text(
        "SELECT entity.id FROM entity JOIN label ON label.id = entity.label_id WHERE entity.name_key = :k "
        "AND label.name = :kind UNION SELECT entity.id FROM entity_alias JOIN entity ON entity.id = "
        "entity_alias.entity_id JOIN label ON label.id = entity.label_id WHERE entity_alias.name_key = :k "
        "AND label.name = :kind ORDER BY 1"), {"k": key, "kind": kind})]


def _entities(conn: Any, ids: Sequence[int]) -> list[tuple[int, str, str]]:
    params: dict[str, Any] = {}
    marks = in_list(params, "e", [int(i) for i in ids])
    return [(int(r[0]), r[1], r[2]) for r in conn.execute(text(
        "SELECT entity.id, entity.name, label.name FROM entity JOIN label ON label.id = entity.label_id "
        f"WHERE entity.id IN ({marks}) ORDER BY entity.id"), params)]


def registry_options(store: Store, typed: str, limit: int = 8) -> list[ClaimantOption]:
    """PERSON and ORG entities whose name or an alias starts with ``typed`` (then contains it), by name."""
    key = normalise(typed)
    if not key:
        return []
    params: dict[str, Any] = {"lo": key, "hi": key + "\U0010ffff", "limit": int(limit),
                              "inner": "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"}
    kinds = in_list(params, "k", list(CLAIMANT_KINDS))

    def select(alias: str, source: str, match: str) -> str:
        return (f"SELECT entity.id, entity.name, label.name, {alias} FROM {source} JOIN label ON label.id = "
                f"entity.label_id WHERE label.name IN ({kinds}) AND {match}")

    found: dict[int, ClaimantOption] = {}
    with store.begin() as conn:
        # Names that start with what was typed come from the name-key indexes; those that only contain it
        # need a scan, which stops once enough are found.
        for match in ("{col} >= :lo AND {col} < :hi", "{col} LIKE :inner ESCAPE '\\'"):
            sql = (select("''", "entity", match.format(col="entity.name_key")) + " UNION ALL "
                   + select("entity_alias.name", "entity_alias JOIN entity ON entity.id = entity_alias.entity_id",
                            match.format(col="entity_alias.name_key")) + " LIMIT :limit")
            for entity_id, name, kind, alias in conn.execute(text(sql), params):
                if len(found) < limit and int(entity_id) not in found:
                    found[int(entity_id)] = ClaimantOption(name, int(entity_id), kind, "registry",
                                                           f"also “{alias}”" if alias else "")
            if len(found) >= limit:
                break
    return sorted(found.values(), key=lambda o: (not normalise(o.name).startswith(key), normalise(o.name)))


def new_options(typed: str, kinds: Sequence[str]) -> list[ClaimantOption]:
    """A new entity called ``typed`` of each of ``kinds``."""
    name = " ".join(typed.split())
    if not any(ch.isalnum() for ch in name):
        return []
    return [ClaimantOption(name, None, kind, "new", new_kind=kind) for kind in kinds]


def matching_options(options: Iterable[ClaimantOption], typed: str) -> list[ClaimantOption]:
    """The options whose name contains what was typed (case and accents aside), those starting with it first."""
    key = normalise(typed)
    hits = [o for o in options if key in normalise(o.name)]
    return sorted(hits, key=lambda o: not normalise(o.name).startswith(key))


def exact_entity(store: Store, name: str) -> int | None:
    """The one PERSON or ORG entity whose name or an alias is ``name``; None when none or several are."""
    kinds = claimant_kinds(store)
    ids = set()
    with store.begin() as conn:
        for kind in kinds:
            ids.update(_entities_named(conn, name, kind))
    return ids.pop() if len(ids) == 1 else None


def set_claimant(store: Store, span_id: int, name: str, entity_id: int | None = None, *,
                 new_kind: str | None = None) -> Changes:
    """Make ``name`` the claimant of a claim, linked to ``entity_id``, or to a new entity of ``new_kind`` called
    ``name``; one transaction's worth of edits, undone by ``undo_set_claimant``."""
    made: dict[str, Any] | None = None
    if new_kind is not None:
        made = registry.create_entity(store, new_kind, name).after["entity"]
        entity_id = int(made["id"])
    try:
        before = span_edits.read_span(store, span_id)
        attributes = {**before["attributes"], "claimant": " ".join(name.split())}
        change = span_edits.update_span(store, span_id, attributes=attributes, claimant_id=entity_id)
    except InvalidInput:
        if made is not None:
            registry.delete_entity(store, int(made["id"]))
        raise
    touched = [i for i in (before.get("claimant_id"), entity_id) if i is not None]
    return Changes(frozenset({ChangeKind.SPAN_CHANGED}), change.article_ids, change.span_ids, span_id=span_id,
                   entity_ids=tuple(dict.fromkeys(touched)), before=change.before,
                   after={**change.after, "made_entity": made})


def undo_set_claimant(store: Store, change: Changes) -> Changes:
    """Give the claim back its earlier claimant, and delete the entity ``set_claimant`` made for it."""
    before = change.before
    undone = span_edits.update_span(store, int(change.span_id or 0), attributes=before["attributes"],
                                    claimant_id=before.get("claimant_id"))
    made = change.after.get("made_entity")
    if made is not None:
        registry.delete_entity(store, int(made["id"]))
    return undone
