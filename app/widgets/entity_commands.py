"""The entity registry's edits as undoable commands of the window's edit gateway.

Each action runs a core operation of ``app.core.entities`` through
``EditGateway.push_stored``; its undo is ``history.undo`` of the record the
operation returned, and its redo runs the operation again. An edit that made an
entity (a new entity for a span, a split) is redone by putting that entity back
under its own id, so later commands that name it still find it. Spans are held
by the gateway's handles: an undone deletion stores a span again under another
id, and the commands follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.core.changes import Changes
from app.core.db.store import Store
from app.core.entities import history, linking, registry
from app.widgets.edits import EditGateway

Operation = Callable[[Store], Changes]


class EntityCommands:
    def __init__(self, gateway: EditGateway) -> None:
        self.gateway = gateway

    def _spans(self, span_ids: Sequence[int]) -> Callable[[], list[int]]:
        """The current ids of these spans, when a step runs."""
        handles = [self.gateway.handle(int(i)) for i in span_ids]
        return lambda: [handle.id for handle in handles]

    def _push(self, text: str, operation: Operation, again: Callable[[Store, Changes], None] | None = None,
              initiator: object | None = None) -> Changes | None:
        """``operation`` as one undo step; ``again`` redoes it from its first record (else it runs again)."""
        done: list[Changes] = []

        def do(store: Store) -> Changes:
            if done and again is not None:
                again(store, done[0])
                return done[0]  # the entities have their first ids again: its undo is the first one's
            done[:] = [operation(store)]
            return done[0]

        return self.gateway.push_stored(text, do, lambda store: history.undo(store, done[0]), initiator)

    # -- linking -------------------------------------------------------------------------
    def link(self, span_ids: Sequence[int], entity_id: int, what: str) -> Changes | None:
        ids = self._spans(span_ids)
        return self._push(what, lambda store: linking.link_spans(store, ids(), entity_id))

    def unlink(self, span_ids: Sequence[int], what: str = "Unlink span") -> Changes | None:
        ids = self._spans(span_ids)
        return self._push(what, lambda store: linking.link_spans(store, ids(), None))

    def create_and_link(self, kind: str, name: str, span_ids: Sequence[int]) -> Changes | None:
        """A new entity named ``name`` with these spans as its first mentions."""
        ids = self._spans(span_ids)
        state: dict[str, Any] = {}

        def do(store: Store) -> Changes:
            if state:  # a redo: the same entity, under its own id, with the same mentions
                return registry.restore_entity(store, state, ids())
            created = registry.create_entity(store, kind, name)
            state.update(created.after["entity"])
            return (created | linking.link_spans(store, ids(), int(state["id"]))) if span_ids else created

        # Deleting it unlinks its mentions: they were unlinked before.
        return self.gateway.push_stored(f"New entity {name} ({kind})", do,
                                        lambda store: registry.delete_entity(store, int(state["id"])))

    # -- the registry --------------------------------------------------------------------
    def rename(self, entity_id: int, old: str, name: str) -> Changes | None:
        return self._push(f"Rename {old} to {name}", lambda store: registry.rename_entity(store, entity_id, name))

    def add_alias(self, entity_id: int, name: str, alias: str) -> Changes | None:
        return self._push(f"Add alias {alias} to {name}", lambda store: registry.add_alias(store, entity_id, alias))

    def remove_alias(self, entity_id: int, name: str, alias: str) -> Changes | None:
        return self._push(f"Remove alias {alias} of {name}",
                          lambda store: registry.remove_alias(store, entity_id, alias))

    def set_details(self, entity_id: int, name: str, *, external_id: str | None = None,
                    note: str | None = None) -> Changes | None:
        return self._push(f"Edit details of {name}", lambda store: registry.set_entity_details(
            store, entity_id, external_id=external_id, note=note))

    def merge(self, keep_id: int, gone_id: int, keep_name: str, gone_name: str) -> Changes | None:
        return self._push(f"Merge {gone_name} into {keep_name}",
                          lambda store: linking.merge_entities(store, keep_id, gone_id))

    def split(self, entity_id: int, span_ids: Sequence[int], name: str, old_name: str) -> Changes | None:
        ids = self._spans(span_ids)
        made: dict[str, Any] = {}

        def split(store: Store) -> Changes:
            changes = linking.split_entity(store, entity_id, ids(), name)
            made.update(registry.read_entity(store, int(changes.after["entity_id"])))
            return changes

        def again(store: Store, _first: Changes) -> None:
            registry.restore_entity(store, made, ids())  # the new entity, its id and these mentions again

        return self._push(f"Split {len(span_ids)} mentions of {old_name} off as {name}", split, again)

    def delete(self, entity_id: int, name: str) -> Changes | None:
        return self._push(f"Delete entity {name}", lambda store: registry.delete_entity(store, entity_id))
