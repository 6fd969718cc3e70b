"""The edit gateway's claim edits: a claim's claimant, linked to an entity (``EditGateway`` mixes them in).

Setting a claimant is one undoable span edit that also sets ``span.claimant_id``;
when the claimant is a new entity, the entity is made when the edit is first
done (and deleted again should the edit be refused or its write fail), deleted
by its undo and put back, under its id and with the links others made to it
meanwhile, by its redo.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.core.changes import Changes
from app.core.db.store import STORE_ERRORS
from app.core.entities import registry
from app.core.errors import InvalidInput
from app.core.ops import span_edits

if TYPE_CHECKING:
    from app.core.db.edit_writer import Write
    from app.core.db.store import Store

    Planned = tuple[Changes, Write]

WAIT_FOR_WRITES_S = 2.0  # edits are stored in milliseconds; a locked dataset must not freeze the window


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
        writes (its id is needed at once); undo deletes it and redo puts it back under that id, with the
        mentions and claims linked to it meanwhile."""
        handle = self.handle(span_id)
        created: list[int] = []
        deleted: dict[str, Any] = {}  # what the undo's delete_entity took away: entity, mentions, claims

        def plan(attrs: dict[str, Any], link: int | None) -> Planned:
            change, write = self._plan_update(handle, attributes=attrs, claimant_id=link)
            linked = (change.before.get("claimant_id"), link)
            return replace(change, entity_ids=tuple(dict.fromkeys(i for i in linked if i is not None))), write

        def do() -> Planned:
            if new_kind is None:
                return plan(attributes, claimant_id)
            if created:
                change, write = plan(attributes, created[0])
                return change, _restoring(deleted, write)
            entity_id = self._create_claimant(new_kind, attributes["claimant"])
            try:
                change, write = plan(attributes, entity_id)
            except BaseException:
                registry.delete_entity(self.store, entity_id)  # the claim is gone: no entity without it
                raise
            created.append(entity_id)
            return change, _or_delete(write, entity_id)

        def undo(change: Changes) -> Planned:
            reverse, write = plan(change.before["attributes"], change.before.get("claimant_id"))
            if not created:
                return reverse, write

            def write_and_delete(store: Store) -> object:
                done = write(store)
                deleted.update(registry.delete_entity(store, created[0]).before)
                return done

            return reverse, write_and_delete

        return self._push("Set claimant", do, undo)

    def _create_claimant(self, kind: str, name: str) -> int:
        """A new entity for a claimant, made once the queued writes are stored (the wait is bounded: a
        dataset locked by another program must not freeze the window)."""
        if not self.wait_until_saved(WAIT_FOR_WRITES_S):
            raise InvalidInput("Earlier edits are still being saved (the dataset is busy), so the new entity "
                               "was not made. Try again in a moment.")
        return int(registry.create_entity(self.store, kind, name).entity_ids[0])


def _restoring(deleted: dict[str, Any], write: Write) -> Write:
    """``write`` after putting back the entity the undo deleted, read when it runs (after that undo)."""

    def written(store: Store) -> object:
        registry.restore_entity(store, deleted["entity"], deleted["mentions"], deleted["claims"])
        return write(store)

    return written


def _or_delete(write: Write, entity_id: int) -> Write:
    """``write``, deleting the entity just made for it should it fail (the edit is then taken back)."""

    def written(store: Store) -> object:
        try:
            return write(store)
        except BaseException:
            with suppress(InvalidInput, *STORE_ERRORS):
                registry.delete_entity(store, entity_id)
            raise

    return written
