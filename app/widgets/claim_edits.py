"""The edit gateway's claim edits: a claim's claimant, linked to an entity (``EditGateway`` mixes them in).

Setting a claimant is one undoable span edit that also sets ``span.claimant_id``;
when the claimant is a new entity, the entity is made when the edit is first
done, deleted by its undo and put back, under its id, by its redo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.core.changes import Changes
from app.core.entities import registry
from app.core.ops import span_edits

if TYPE_CHECKING:
    from app.core.db.edit_writer import Write
    from app.core.db.store import Store

    Planned = tuple[Changes, Write]


class ClaimantEdits:
    """What ``EditGateway`` offers for claims; it relies on the gateway's planning of span edits."""

    if TYPE_CHECKING:
        store: Store

        def handle(self, span_id: int) -> Any: ...
        def wait_until_saved(self, timeout_s: float | None = None) -> bool: ...
        def _span_state(self, span_id: int) -> dict[str, Any]: ...
        def _plan_update(self, handle: Any, *, label: str | None = None, attributes: dict[str, Any] | None = None,
                         claimant_id: Any = span_edits.KEEP) -> Planned: ...
        def _push(self, text: str, do: Callable[[], Planned], undo: Callable[[Changes], Planned],
                  initiator: object | None = None) -> Changes | None: ...

    def span_state(self, span_id: int) -> dict[str, Any]:
        """A span's state with the edits made so far, stored or still queued; raises InvalidInput when gone."""
        return dict(self._span_state(span_id))

    def set_claimant(self, span_id: int, attributes: dict[str, Any], claimant_id: int | None,
                     new_kind: str | None = None) -> Changes | None:
        """Name a claim's claimant (in ``attributes``) and link it to ``claimant_id``, or to a new entity of
        ``new_kind`` of that name: one undo step. The new entity is made when first done, after the queued
        writes (its id is needed at once); undo deletes it and redo puts it back under that id."""
        handle = self.handle(span_id)
        made: list[dict[str, Any]] = []

        def plan(attrs: dict[str, Any], link: int | None) -> Planned:
            change, write = self._plan_update(handle, attributes=attrs, claimant_id=link)
            linked = (change.before.get("claimant_id"), link)
            return replace(change, entity_ids=tuple(dict.fromkeys(i for i in linked if i is not None))), write

        def do() -> Planned:
            if new_kind is None:
                return plan(attributes, claimant_id)
            again = bool(made)
            if not again:
                self.wait_until_saved()
                made.append(registry.create_entity(self.store, new_kind, attributes["claimant"]).after["entity"])
            change, write = plan(attributes, int(made[0]["id"]))
            if not again:
                return change, write
            return change, lambda store: (registry.restore_entity(store, made[0]), write(store))[1]

        def undo(change: Changes) -> Planned:
            reverse, write = plan(change.before["attributes"], change.before.get("claimant_id"))
            if not made:
                return reverse, write
            return reverse, lambda store: (write(store), registry.delete_entity(store, int(made[0]["id"])))[0]

        return self._push("Set claimant", do, undo)
