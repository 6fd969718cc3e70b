"""Taking an entity edit back: ``undo(store, changes)`` runs the inverse its record names.

Each edit of ``registry`` and ``linking`` puts its name under ``"op"`` in
``before`` or ``after`` along with what the inverse needs, as span edits keep
the spans' states; the window's undo command calls ``undo`` with the record the
edit returned, and a redo runs the edit again.
"""

from __future__ import annotations

from app.core.changes import Changes
from app.core.db.store import Store
from app.core.entities import linking, registry
from app.core.errors import InvalidInput


def undo(store: Store, changes: Changes) -> Changes:
    """The inverse of the entity edit whose record is ``changes``; its own record."""
    op = changes.before.get("op") or changes.after.get("op")
    before, after = changes.before, changes.after
    entity_id = changes.entity_ids[0] if changes.entity_ids else None
    if op == "create":
        return registry.delete_entity(store, int(after["entity"]["id"]))
    if op == "delete":
        return registry.restore_entity(store, before["entity"], before["mentions"], before.get("claims", ()))
    if op == "rename" and entity_id is not None:
        return registry.rename_entity(store, entity_id, before["name"])
    if op == "add_alias" and entity_id is not None:
        return registry.remove_alias(store, entity_id, after["alias"])
    if op == "remove_alias" and entity_id is not None:
        return registry.add_alias(store, entity_id, before["alias"])
    if op == "details" and entity_id is not None:
        return registry.set_entity_details(store, entity_id, external_id=before.get("external_id"),
                                           note=before.get("note"))
    if op == "link" and "links" in before:
        return linking.restore_links(store, before["links"])
    if op == "merge":
        return linking.undo_merge(store, before)
    if op == "split":
        return linking.undo_split(store, after)
    raise InvalidInput(f"This change ({op or 'unnamed'}) cannot be taken back here.")
