"""The entity registry's edits: create, rename, aliases, external id and note, delete (and restore).

Each edit runs in one transaction and returns a ``Changes`` of kind
``ENTITIES_CHANGED`` naming the entity; ``before``/``after`` hold what its undo
needs, with the edit's name under ``"op"`` (``history.undo`` reads it). An
entity's kind is an entity label (a claim label names no one); its names are
matched by their normalised key, so two aliases that differ only in case or
accents are one alias, and an alias that is the canonical name is refused.
Deleting an entity unlinks its mentions (the spans stay).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.changes import ChangeKind, Changes
from app.core.db.in_lists import execute_in
from app.core.db.store import Store
from app.core.entities import claim_columns
from app.core.entities.matching import normalise
from app.core.errors import InvalidInput
from app.models import db_timestamp

MAX_NAME = 300


def entity_changes(kind: ChangeKind, entity_ids: Iterable[int], *, article_ids: Iterable[int] = (),
                   span_ids: Iterable[int] = (), before: dict[str, Any] | None = None,
                   after: dict[str, Any] | None = None) -> Changes:
    """The record of one registry or linking edit."""
    return Changes(frozenset({kind}), tuple(dict.fromkeys(article_ids)), tuple(span_ids),
                   entity_ids=tuple(dict.fromkeys(entity_ids)), before=dict(before or {}), after=dict(after or {}))


def checked_name(name: str) -> tuple[str, str]:
    """A name as stored (trimmed) and its key; raises InvalidInput for a name that matches nothing."""
    name = " ".join(name.split())
    key = normalise(name)
    if not any(ch.isalnum() for ch in key):
        raise InvalidInput("An entity needs a name with letters or digits in it.")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"A name of {len(name)} characters is too long (at most {MAX_NAME}).")
    return name, key


def entity_label_id(conn: Any, kind: str) -> int:
    row = conn.execute(text("SELECT id, kind FROM label WHERE name = :n"), {"n": kind}).first()
    if row is None:
        raise InvalidInput(f"There is no label called {kind}.")
    if row[1] != "entity":
        raise InvalidInput(f"{kind} is a claim label; an entity's kind is an entity label such as PERSON.")
    return int(row[0])


_STATE_SQL = ("SELECT entity.id, label.name, entity.label_id, entity.name, entity.external_id, entity.note, "
              "entity.created_at, entity.updated_at FROM entity JOIN label ON label.id = entity.label_id "
              "WHERE entity.id = :i")
_STATE_KEYS = ("id", "kind", "label_id", "name", "external_id", "note", "created_at", "updated_at")


def entity_state(conn: Any, entity_id: int) -> dict[str, Any]:
    """An entity as stored, its aliases (in the order added) included; raises InvalidInput when it is gone."""
    row = conn.execute(text(_STATE_SQL), {"i": int(entity_id)}).first()
    if row is None:
        raise InvalidInput(f"Entity {entity_id} no longer exists.")
    state = dict(zip(_STATE_KEYS, row, strict=True))
    state["aliases"] = alias_names(conn, entity_id)
    return state


def alias_names(conn: Any, entity_id: int) -> list[str]:
    return [r[0] for r in conn.execute(text("SELECT name FROM entity_alias WHERE entity_id = :i ORDER BY id"),
                                       {"i": int(entity_id)})]


def read_entity(store: Store, entity_id: int) -> dict[str, Any]:
    with store.begin() as conn:
        return entity_state(conn, entity_id)


def create_entity(store: Store, kind: str, name: str, *, aliases: Sequence[str] = (), external_id: str = "",
                  note: str = "") -> Changes:
    """A new entity of label ``kind``; its undo is ``delete_entity``."""
    name, key = checked_name(name)
    now = db_timestamp()
    with store.begin() as conn:
        label_id = entity_label_id(conn, kind)
        entity_id = int(conn.execute(text(
            "INSERT INTO entity (label_id, name, name_key, external_id, note, created_at, updated_at) "
            "VALUES (:l, :n, :k, :x, :note, :now, :now) RETURNING id"),
            {"l": label_id, "n": name, "k": key, "x": external_id.strip(), "note": note, "now": now}).scalar_one())
        insert_aliases(conn, entity_id, key, aliases)
        state = entity_state(conn, entity_id)
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id,), after={"op": "create", "entity": state})


def insert_aliases(conn: Any, entity_id: int, name_key: str, aliases: Iterable[str], *,
                   strict: bool = True) -> list[int]:
    """Add aliases to an entity, returning the new rows' ids; ``strict`` refuses one it already has."""
    taken = {name_key} | {r[0] for r in conn.execute(
        text("SELECT name_key FROM entity_alias WHERE entity_id = :i"), {"i": entity_id})}
    added = []
    for alias in aliases:
        name, key = checked_name(alias)
        if key in taken:
            if strict:
                raise InvalidInput(f"“{name}” is already a name of this entity.")
            continue
        taken.add(key)
        added.append(int(conn.execute(text(
            "INSERT INTO entity_alias (entity_id, name, name_key) VALUES (:e, :n, :k) RETURNING id"),
            {"e": entity_id, "n": name, "k": key}).scalar_one()))
    return added


def _touch(conn: Any, entity_id: int) -> None:
    conn.execute(text("UPDATE entity SET updated_at = :now WHERE id = :i"), {"now": db_timestamp(), "i": entity_id})


def rename_entity(store: Store, entity_id: int, name: str) -> Changes:
    """Give an entity another canonical name; its undo is a rename back to ``before["name"]``."""
    name, key = checked_name(name)
    with store.begin() as conn:
        old = entity_state(conn, entity_id)["name"]
        if normalise(name) in {r[0] for r in conn.execute(
                text("SELECT name_key FROM entity_alias WHERE entity_id = :i"), {"i": entity_id})}:
            raise InvalidInput(f"“{name}” is an alias of this entity: remove the alias first.")
        conn.execute(text("UPDATE entity SET name = :n, name_key = :k, updated_at = :now WHERE id = :i"),
                     {"n": name, "k": key, "now": db_timestamp(), "i": entity_id})
        claim_columns.refresh_claimants(conn, [entity_id])
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id,), before={"op": "rename", "name": old},
                          after={"op": "rename", "name": name})


def add_alias(store: Store, entity_id: int, alias: str) -> Changes:
    """Another name for an entity; its undo is ``remove_alias``."""
    with store.begin() as conn:
        name = entity_state(conn, entity_id)["name"]
        try:
            insert_aliases(conn, entity_id, normalise(name), [alias])
        except IntegrityError:
            raise InvalidInput(f"“{alias}” is already a name of this entity.") from None
        _touch(conn, entity_id)
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id,), after={"op": "add_alias", "alias": alias})


def remove_alias(store: Store, entity_id: int, alias: str) -> Changes:
    """Drop the alias whose key is ``alias``'s; its undo is ``add_alias`` of the name it had."""
    key = normalise(alias)
    with store.begin() as conn:
        entity_state(conn, entity_id)
        row = conn.execute(text("SELECT id, name FROM entity_alias WHERE entity_id = :e AND name_key = :k"),
                           {"e": entity_id, "k": key}).first()
        if row is None:
            raise InvalidInput(f"“{alias}” is not an alias of this entity.")
        conn.execute(text("DELETE FROM entity_alias WHERE id = :i"), {"i": row[0]})
        _touch(conn, entity_id)
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id,), before={"op": "remove_alias", "alias": row[1]})


def set_entity_details(store: Store, entity_id: int, *, external_id: str | None = None,
                       note: str | None = None) -> Changes:
    """Set the external id (a Wikidata QID or an address, not looked up) and/or the note; undo sets ``before``."""
    fields = {k: v for k, v in (("external_id", None if external_id is None else external_id.strip()),
                                ("note", note)) if v is not None}
    with store.begin() as conn:
        state = entity_state(conn, entity_id)
        if fields:
            sets = ", ".join(f"{k} = :{k}" for k in fields)
            conn.execute(text(f"UPDATE entity SET {sets}, updated_at = :now WHERE id = :i"),
                         {**fields, "now": db_timestamp(), "i": entity_id})
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id,),
                          before={"op": "details", **{k: state[k] for k in fields}},
                          after={"op": "details", **fields})


def mention_ids(conn: Any, entity_id: int) -> list[int]:
    return [int(r[0]) for r in conn.execute(text("SELECT id FROM span WHERE entity_id = :e ORDER BY id"),
                                            {"e": entity_id})]


def claim_ids(conn: Any, entity_id: int) -> list[int]:
    """The CLAIM spans whose claimant is this entity."""
    return [int(r[0]) for r in conn.execute(text("SELECT id FROM span WHERE claimant_id = :e ORDER BY id"),
                                            {"e": entity_id})]


def articles_of(conn: Any, entity_id: int) -> list[int]:
    return [int(r[0]) for r in conn.execute(
        text("SELECT DISTINCT article_id FROM span WHERE entity_id = :e ORDER BY 1"), {"e": entity_id})]


def delete_entity(store: Store, entity_id: int) -> Changes:
    """Delete an entity and its aliases; its mentions stay, unlinked. Undo: ``restore_entity``."""
    with store.begin() as conn:
        state = entity_state(conn, entity_id)
        mentions, articles = mention_ids(conn, entity_id), articles_of(conn, entity_id)
        claims = claim_ids(conn, entity_id)
        # The references' ON DELETE SET NULL unlink the mentions and claims, through the span indexes.
        conn.execute(text("DELETE FROM entity WHERE id = :i"), {"i": entity_id})
        claim_columns.refresh_spans(conn, claims)  # their claimant is the name typed again
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (entity_id,), article_ids=articles, span_ids=mentions,
                          before={"op": "delete", "entity": state, "mentions": mentions, "claims": claims})


def restore_entity(store: Store, state: dict[str, Any], mentions: Sequence[int] = (),
                   claims: Sequence[int] = ()) -> Changes:
    """Put a deleted entity back under its own id, with its aliases; link ``mentions`` to it again and make
    it the claimant of ``claims`` again."""
    with store.begin() as conn:
        insert_entity(conn, state)
        relink(conn, mentions, int(state["id"]))
        relink_claims(conn, claims, int(state["id"]))
        articles = articles_of(conn, int(state["id"])) if mentions else []
    return entity_changes(ChangeKind.ENTITIES_CHANGED, (int(state["id"]),), article_ids=articles,
                          span_ids=mentions, after={"op": "restore", "entity": state})


def insert_entity(conn: Any, state: dict[str, Any]) -> None:
    """An entity row as ``entity_state`` read it, under its id, with its aliases."""
    name, key = checked_name(state["name"])
    conn.execute(text(
        "INSERT INTO entity (id, label_id, name, name_key, external_id, note, created_at, updated_at) "
        "VALUES (:id, :l, :n, :k, :x, :note, :c, :u)"),
        {"id": state["id"], "l": state["label_id"], "n": name, "k": key,
         "x": state["external_id"], "note": state["note"], "c": state["created_at"], "u": state["updated_at"]})
    insert_aliases(conn, int(state["id"]), key, state["aliases"], strict=False)


def relink(conn: Any, span_ids: Iterable[int], entity_id: int | None) -> None:
    """Point these spans at ``entity_id`` (None: unlink them), a chunk of ids per statement."""
    execute_in(conn, "UPDATE span SET entity_id = :e WHERE id IN :values", [int(i) for i in span_ids],
               {"e": entity_id})


def relink_claims(conn: Any, span_ids: Iterable[int], entity_id: int | None) -> None:
    """Make ``entity_id`` the claimant of these CLAIM spans (None: unlink them)."""
    ids = [int(i) for i in span_ids]
    execute_in(conn, "UPDATE span SET claimant_id = :e WHERE id IN :values", ids, {"e": entity_id})
    claim_columns.refresh_spans(conn, ids)
